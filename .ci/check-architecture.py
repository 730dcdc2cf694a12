#!/usr/bin/env python3
"""Checks MusicHal's layering: which target may depend on which, and what pure modules may import.

`swift build --explicit-target-dependency-import-check=error` catches imports of targets a target does not
declare; this script checks that the declared edges themselves follow the architecture, and that pure modules
import no system module (Foundation, Glibc, Dispatch, ...). Run from the package root.
"""
import json
import pathlib
import re
import subprocess
import sys

PURE = {"MusicHalCore", "RealtimeSupport", "AudioFeatures", "OracleCore", "MIDICore", "ModelFormat", "Improviser",
        "Training", "NeuralFeatures", "TestSignals"}
# The weak RealtimeSanitizer hooks: C, but no library; adapters with real-time callbacks may use them.
RTCHECK = {"CRTCheck"}
SHIMS = {"CLiblo", "CJACK", "CALSA", "CSystemd", "COpenBLAS", "CSndfile", "CFFTW", "CSamplerate"}
COMPOSITION = {"MusicHalApp"}
EXECUTABLE = {"musichal"}
PURE_PRODUCTS = {"RealModule"}
ADAPTER_PRODUCTS = {"Logging"}
# Imports a pure module may use besides other pure modules.
PURE_IMPORTS = {"Synchronization", "RealModule"}


def main() -> int:
    described = json.loads(subprocess.run(["swift", "package", "describe", "--type", "json"], check=True,
                                          capture_output=True, text=True).stdout)
    targets = {t["name"]: t for t in described["targets"]}
    problems = []
    for name, target in targets.items():
        deps = set(target.get("target_dependencies", []))
        products = set(target.get("product_dependencies", []))
        kind = target["type"]
        if kind == "test":
            if deps & SHIMS and name != "SystemLibraryLinkTests":
                problems.append(f"{name}: tests reach C libraries only through adapters")
            continue
        if name in PURE:
            bad = (deps - PURE) | (products - PURE_PRODUCTS)
            if bad:
                problems.append(f"{name} is a pure module but depends on {sorted(bad)}")
        elif name in SHIMS or name in RTCHECK:
            if deps or products:
                problems.append(f"{name} is a C shim and must depend on nothing")
        elif name.endswith("Adapter"):
            shims = deps & SHIMS
            bad = (deps - PURE - SHIMS - RTCHECK) | (products - ADAPTER_PRODUCTS)
            if bad:
                problems.append(f"adapter {name} depends on {sorted(bad)} (adapters use core modules and one C shim)")
            if len(shims) != 1:
                problems.append(f"adapter {name} must wrap exactly one C library, wraps {sorted(shims)}")
        elif name in COMPOSITION:
            if deps & (SHIMS | EXECUTABLE):
                problems.append(f"{name} must reach C libraries through adapters only")
        elif name in EXECUTABLE:
            bad = deps - PURE - COMPOSITION
            if bad:
                problems.append(f"{name} depends on {sorted(bad)}; the executable uses MusicHalApp and core modules")
        else:
            problems.append(f"target {name} is in no layer: add it to .ci/check-architecture.py")

    # Source-level imports of pure modules: stdlib, Synchronization, RealModule and pure modules only.
    import_line = re.compile(
        r"^(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|internal|package|private|fileprivate)\s+)?import\s+"
        r"(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][\w.]*)", re.M)
    for name in PURE:
        path = pathlib.Path(targets[name]["path"]) if name in targets else None
        if path is None:
            continue
        for source in sorted(path.rglob("*.swift")):
            for module in import_line.findall(source.read_text()):
                root = module.split(".")[0]
                if root not in PURE and root not in PURE_IMPORTS:
                    problems.append(f"{source}: pure module {name} imports {root}")

    for problem in problems:
        print(f"architecture: {problem}")
    if not problems:
        print(f"architecture: {len(targets)} targets follow the layering rules")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

// OpenBLAS (pthread variant) CBLAS interface and its thread-control extensions.
#pragma once
#include <cblas.h>

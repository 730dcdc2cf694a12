// The markers live in include/RTCheck.h as static inline functions; SwiftPM needs one source file per C target.
#include "RTCheck.h"

// Force-included (-include) in the clang fuzz build only. Debian's ITK 5.2 generated
// itk_compiler_detection.h for GCC alone: under clang it stops with "#error Unsupported
// compiler". clang speaks the same GNU dialect and implements every C++17 feature the header
// tests for, so ITK's header is read once as if by the GCC 12 that built ITK (its include guard
// keeps it from being read again); __clang__ and the GNU version macros are restored right after.
#pragma once
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wbuiltin-macro-redefined"
#pragma push_macro("__clang__")
#pragma push_macro("__GNUC__")
#pragma push_macro("__GNUC_MINOR__")
#undef __clang__
#undef __GNUC__
#undef __GNUC_MINOR__
#define __GNUC__ 12
#define __GNUC_MINOR__ 2
#include <itk_compiler_detection.h>
#pragma pop_macro("__GNUC_MINOR__")
#pragma pop_macro("__GNUC__")
#pragma pop_macro("__clang__")
#pragma clang diagnostic pop

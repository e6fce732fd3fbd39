/* DESCENT_CLONES marks a memory-bound loop in a source compiled once, without ISA flags (conv.cc, pooling.cc): GCC
 * and clang compile an AVX-512 and an AVX2 copy beside the baseline one and pick one at load (ifunc), as cpu.cc
 * picks an ISA table for the kernels proper. The copies do the same float operations in the same order (copies,
 * selects and elementwise sums, nothing reassociated), so results never depend on the copy chosen. Only on x86-64
 * Linux, where ifunc exists; elsewhere the baseline loop runs. */
#pragma once

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define DESCENT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef DESCENT_CLONES
#define DESCENT_CLONES
#endif

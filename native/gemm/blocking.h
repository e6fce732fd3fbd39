/* GEMM block sizes, one row per ISA (BLIS style): MR×NR register tile of the micro-kernel; KC×NR packed B
 * micro-panel sized for L1, MC×KC packed A block for L2, KC×NC packed B panel for L3. Tuned with
 * bench/peers (AMD EPYC, AVX-512, L1d 48 KiB, L2 1 MiB per core). */
#pragma once

#if defined(DESCENT_ISA_AVX512F)
#define GEMM_MR 8
#define GEMM_NR 32
#define GEMM_MC 192
#define GEMM_KC 256
#define GEMM_NC 4096
#elif defined(DESCENT_ISA_AVX2_FMA)
#define GEMM_MR 6
#define GEMM_NR 16
#define GEMM_MC 144
#define GEMM_KC 256
#define GEMM_NC 4096
#else
#define GEMM_MR 4
#define GEMM_NR 8
#define GEMM_MC 128
#define GEMM_KC 256
#define GEMM_NC 4096
#endif

# The native backend: one addon plus one static library per ISA, each compiled with its own target flags, so a
# single binary runs on any x86-64 (cpu.cc picks the table at load). NAPI_VERSION is pinned: prebuilds made with
# `prebuildify --napi` load on every Node version that has N-API 8.
{
  "variables": {
    "descent_isa_sources": [
      "native/isa/table.cc",
      "native/act/act.cc",
      "native/act/smooth.cc",
      "native/optim/optim.cc",
      "native/gemm/bias.cc",
      "native/gemm/pack.cc",
      "native/norm/norm.cc",
      "native/conv/dot.cc"
    ]
  },
  "target_defaults": {
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast", "-fvisibility=hidden"],
    "xcode_settings": {
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "GCC_OPTIMIZATION_LEVEL": "3",
      "OTHER_CPLUSPLUSFLAGS": ["-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast"]
    },
    "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/std:c++17", "/O2"] } }
  },
  "targets": [
    {
      "target_name": "descent_scalar",
      "type": "static_library",
      "sources": ["<@(descent_isa_sources)", "native/gemm/ukernel-4x8-scalar.cc"],
      "defines": ["DESCENT_ISA_SCALAR"]
    },
    {
      "target_name": "descent",
      "sources": [
        "native/addon.cc",
        "native/cpu.cc",
        "native/pool.cc",
        "native/kernels.cc",
        "native/gemm/gemm.cc",
        "native/loss/loss.cc",
        "native/norm/batch-norm.cc",
        "native/conv/conv.cc",
        "native/conv/pooling.cc",
        "native/conv/winograd.cc"
      ],
      "dependencies": ["descent_scalar"],
      "conditions": [
        ["target_arch=='x64'", { "dependencies": ["descent_avx2_fma", "descent_avx512f"] }],
        ["OS=='linux'", { "libraries": ["-lpthread"] }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "descent_avx2_fma",
          "type": "static_library",
          "sources": ["<@(descent_isa_sources)", "native/gemm/ukernel-6x16-avx2-fma.cc"],
          "defines": ["DESCENT_ISA_AVX2_FMA"],
          "cflags_cc": ["-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma"] },
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/arch:AVX2"] } }
        },
        {
          "target_name": "descent_avx512f",
          "type": "static_library",
          "sources": ["<@(descent_isa_sources)", "native/gemm/ukernel-8x32-avx512f.cc"],
          "defines": ["DESCENT_ISA_AVX512F"],
          "cflags_cc": ["-mavx512f", "-mavx2", "-mfma", "-mprefer-vector-width=512"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx512f", "-mavx2", "-mfma", "-mprefer-vector-width=512"] },
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/arch:AVX512"] } }
        }
      ]
    }]
  ]
}

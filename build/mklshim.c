/* Makes libtorch's bundled MKL take its optimised (AVX2/AVX-512) code path on AMD CPUs.
   MKL asks mkl_serv_intel_cpu_true() whether the CPU is "genuine Intel"; libtorch_cpu.so exports that symbol,
   so a library loaded RTLD_GLOBAL before libtorch interposes it (background: docs/architecture.md, section "build/").
   Loaded by Mirage.Native.TorchRuntime.Init unless MIRAGE_MKL_SHIM=0. */
int mkl_serv_intel_cpu_true(void) { return 1; }

// A complete C caller of examples/mlp.mlir compiled ahead of time:
//
//   prune-opt examples/mlp.mlir --nn-prune=sparsity=0.9 --nn-sparsify \
//     --nn-lower-cpu | mlir-translate-22 --mlir-to-llvmir -o mlp.ll
//   clang-22 -O2 -c mlp.ll -o mlp.o
//   clang-22 examples/call_mlp.c mlp.o -L<lib> -lPruneOptKernels \
//     -Wl,-rpath,<lib> -o call_mlp
//   ./call_mlp [inputs.npy]
//
// (<lib>: build/lib of a build, or lib of an install prefix.) Without an
// argument it calls @mlp on one built-in input; with a float32 .npy file of
// shape (N, 1, 64) or (N, 64) (e.g. examples/mlp_inputs.npy) it calls it on
// every sample. Prints one line per sample: the 10 logits.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The memref descriptor of a rank-2 f32 tensor (MLIR's C interface).
typedef struct {
  float *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
} Memref2D;

// func.func @mlp(tensor<1x64xf32>) -> tensor<1x10xf32>, exported by
// nn-lower-cpu as _mlir_ciface_mlp: the result descriptor comes first.
void _mlir_ciface_mlp(Memref2D *result, Memref2D *input);

static void run(float x[64]) {
  Memref2D in = {x, x, 0, {1, 64}, {64, 1}}, out;
  _mlir_ciface_mlp(&out, &in);
  for (int j = 0; j < 10; ++j)
    printf("%s%.6g", j ? " " : "",
           out.aligned[out.offset + j * out.strides[1]]);
  printf("\n");
  free(out.allocated); // the callee malloc()s the result
}

// Reads a little-endian float32 C-order .npy file; returns the number of
// 64-float samples, or -1.
static long readNpy(const char *path, float **data) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  unsigned char magic[10];
  if (fread(magic, 1, 10, f) != 10 || memcmp(magic, "\x93NUMPY", 6) != 0 ||
      magic[6] != 1) {
    fclose(f);
    return -1;
  }
  unsigned len = magic[8] | (magic[9] << 8);
  char *header = calloc(len + 1, 1);
  if (!header || fread(header, 1, len, f) != len || !strstr(header, "'<f4'") ||
      strstr(header, "'fortran_order': True")) {
    free(header);
    fclose(f);
    return -1;
  }
  free(header);
  long start = ftell(f);
  fseek(f, 0, SEEK_END);
  long bytes = ftell(f) - start;
  fseek(f, start, SEEK_SET);
  long n = bytes / (64 * sizeof(float));
  *data = malloc(n * 64 * sizeof(float) + 1);
  if (n <= 0 || !*data || fread(*data, 64 * sizeof(float), n, f) != (size_t)n)
    n = -1;
  fclose(f);
  return n;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    float x[64];
    for (int i = 0; i < 64; ++i)
      x[i] = (float)((i % 7) - 3) / 4;
    run(x);
    return 0;
  }
  float *data = NULL;
  long n = readNpy(argv[1], &data);
  if (n < 0) {
    fprintf(stderr, "call_mlp: cannot read %s (float32 .npy, 64 per sample)\n",
            argv[1]);
    return 1;
  }
  for (long i = 0; i < n; ++i)
    run(data + i * 64);
  free(data);
  return 0;
}

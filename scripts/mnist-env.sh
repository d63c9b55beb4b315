# Sourced by the MNIST evaluation scripts: where the binaries, the models and
# the t10k set are, and each model's input preprocessing for prune-run.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${BUILD_DIR:-$root/build}/bin"
models="${PRUNE_OPT_MODELS:-$root/../shared/models}"
images="$models/mnist/t10k-images-idx3-ubyte.gz"
labels="$models/mnist/t10k-labels-idx1-ubyte.gz"
declare -A pre=(
  [heir_lenet]="scale=255,mean=0.1307,std=0.3081,pad=2,layout=nchw"
  [iree_mnist_mlp_linalg]="scale=255,layout=nhwc")

//===- PruneEnums.td - Enums of the prune dialect ----------*- tablegen -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The enums are plain C++ (no attribute classes): the Criteria library and
// the pass options use them as well as the attributes.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_DIALECT_PRUNE_PRUNEENUMS_TD
#define PRUNE_OPT_DIALECT_PRUNE_PRUNEENUMS_TD

include "mlir/IR/EnumAttr.td"

def Prune_Criterion : I32EnumAttr<"Criterion", "how weights are scored", [
    I32EnumAttrCase<"Magnitude", 0, "magnitude">,
    I32EnumAttrCase<"Random", 1, "random">,
    I32EnumAttrCase<"OBD", 2, "obd">,
    I32EnumAttrCase<"Wanda", 3, "wanda">,
    I32EnumAttrCase<"SparseGPT", 4, "sparsegpt">,
    // Exact greedy OBS per row where the layer is small, else SparseGPT.
    I32EnumAttrCase<"OBS", 5, "obs">,
    I32EnumAttrCase<"Activation", 6, "activation">,
    I32EnumAttrCase<"Entropy", 7, "entropy">]> {
  let cppNamespace = "::mlir::prune";
  let genSpecializedAttr = 0;
}

def Prune_Refit : I32EnumAttr<"Refit", "update of the kept weights", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"LSQ", 1, "lsq">]> {
  let cppNamespace = "::mlir::prune";
  let genSpecializedAttr = 0;
}

def Prune_Scope : I32EnumAttr<"Scope", "where the sparsity target applies", [
    I32EnumAttrCase<"Layer", 0, "layer">,
    I32EnumAttrCase<"Global", 1, "global">,
    I32EnumAttrCase<"Adaptive", 2, "adaptive">]> {
  let cppNamespace = "::mlir::prune";
  let genSpecializedAttr = 0;
}

def Prune_Pattern : I32EnumAttr<"PrunePattern", "the shape of what is removed", [
    I32EnumAttrCase<"Unstructured", 0, "unstructured">,
    I32EnumAttrCase<"NM", 1, "nm">,
    I32EnumAttrCase<"Block", 2, "block">,
    I32EnumAttrCase<"Channel", 3, "channel">]> {
  let cppNamespace = "::mlir::prune";
  let genSpecializedAttr = 0;
}

def Prune_Regime : I32EnumAttr<"BatchRegime", "the batch a layout is laid out for", [
    I32EnumAttrCase<"Single", 0, "single">,
    I32EnumAttrCase<"Batched", 1, "batched">]> {
  let cppNamespace = "::mlir::prune";
  let genSpecializedAttr = 0;
}

def Prune_Target : I32EnumAttr<"Target", "the device a layout is chosen for", [
    I32EnumAttrCase<"Cpu", 0, "cpu">,
    I32EnumAttrCase<"Gpu", 1, "gpu">]> {
  let cppNamespace = "::mlir::prune";
  let genSpecializedAttr = 0;
}

#endif // PRUNE_OPT_DIALECT_PRUNE_PRUNEENUMS_TD

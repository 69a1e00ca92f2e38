// The table of layer kinds: the built-in ones from engine/src/layers/layers.def, then those registered at run
// time.
#include "rtn/layer_descriptor.hpp"

#include <algorithm>
#include <deque>

#include "rtn/error.hpp"

namespace rtn {

#define RTN_LAYER(layer) std::vector<LayerDescriptor> layer##_descriptors();
#include "layers/layers.def"
#undef RTN_LAYER

LayerParameter LayerParameter::integer(std::string name, std::string key, int LayerSpec::*field, bool required,
                                       int max) {
  LayerParameter parameter;
  parameter.name = std::move(name);
  parameter.key = std::move(key);
  parameter.field = field;
  parameter.required = required;
  parameter.max = max;
  return parameter;
}

LayerParameter LayerParameter::flag(std::string name, std::string key, bool LayerSpec::*field) {
  LayerParameter parameter;
  parameter.name = std::move(name);
  parameter.key = std::move(key);
  parameter.field = field;
  return parameter;
}

LayerParameter LayerParameter::number(std::string name, std::string key, float LayerSpec::*field,
                                      bool non_negative) {
  LayerParameter parameter;
  parameter.name = std::move(name);
  parameter.key = std::move(key);
  parameter.field = field;
  parameter.non_negative = non_negative;
  return parameter;
}

namespace {

struct KindTable {
  std::deque<LayerDescriptor> descriptors;      // a deque: registering keeps earlier descriptors in place
  std::vector<const LayerDescriptor*> by_kind;  // in LayerKind's order
  std::vector<LayerKind> kinds;                 // the same order
};

void add(KindTable& table, LayerDescriptor descriptor) {
  if (descriptor.kind == LayerDescriptor::kNewKind) {
    descriptor.kind = table.kinds.empty() ? LayerKind{} : static_cast<LayerKind>(static_cast<int>(table.kinds.back()) + 1);
  }
  for (const LayerDescriptor* known : table.by_kind) {
    if (known->name == descriptor.name) throw Error("layer kind '" + descriptor.name + "' is already registered");
    if (known->kind == descriptor.kind) {
      throw Error("layer kinds '" + known->name + "' and '" + descriptor.name + "' have the same LayerKind value");
    }
  }
  table.descriptors.push_back(std::move(descriptor));
  const LayerDescriptor* added = &table.descriptors.back();
  const auto place = std::upper_bound(table.by_kind.begin(), table.by_kind.end(), added,
                                      [](const LayerDescriptor* a, const LayerDescriptor* b) { return a->kind < b->kind; });
  table.kinds.insert(table.kinds.begin() + (place - table.by_kind.begin()), added->kind);
  table.by_kind.insert(place, added);
}

// noexcept, so that the lookups that read it are: it is built once, from the layers' own descriptors, and failing
// to build it (out of memory at start-up, or two built-in kinds with one LayerKind value, a programming error)
// may end the program.
KindTable& kind_table() noexcept {  // NOLINT(bugprone-exception-escape): as said
  static KindTable table = [] {
    std::vector<LayerDescriptor> descriptors;
#define RTN_LAYER(layer) \
  for (LayerDescriptor& descriptor : layer##_descriptors()) descriptors.push_back(std::move(descriptor));
#include "layers/layers.def"
#undef RTN_LAYER
    // The kinds with LayerKind values first, so that the others' new values come after all of them.
    std::stable_partition(descriptors.begin(), descriptors.end(),
                          [](const LayerDescriptor& descriptor) { return descriptor.kind != LayerDescriptor::kNewKind; });
    KindTable built_in;
    for (LayerDescriptor& descriptor : descriptors) add(built_in, std::move(descriptor));
    return built_in;
  }();
  return table;
}

}  // namespace

// NOLINTNEXTLINE(bugprone-exception-escape): only kind_table() could throw, see there
const LayerDescriptor* find_layer_descriptor(LayerKind kind) noexcept {
  for (const LayerDescriptor* descriptor : kind_table().by_kind) {
    if (descriptor->kind == kind) return descriptor;
  }
  return nullptr;
}

const LayerDescriptor& layer_descriptor(LayerKind kind) {
  const LayerDescriptor* descriptor = find_layer_descriptor(kind);
  if (!descriptor) throw Error("layer kind " + std::to_string(static_cast<int>(kind)) + " is not registered");
  return *descriptor;
}

const std::vector<const LayerDescriptor*>& layer_descriptors() { return kind_table().by_kind; }

const std::vector<LayerKind>& all_layer_kinds() { return kind_table().kinds; }

LayerKind register_layer_kind(LayerDescriptor descriptor) {
  const std::string where = "register_layer_kind('" + descriptor.name + "'): ";
  if (descriptor.name.empty()) throw Error("register_layer_kind: the kind needs a name");
  if (!descriptor.conformance_shapes || !descriptor.typical_shape) {
    throw Error(where + "the descriptor needs conformance_shapes and typical_shape, so that it is tested");
  }
  KindTable& table = kind_table();
  descriptor.kind = LayerDescriptor::kNewKind;
  add(table, std::move(descriptor));
  return table.by_kind.back()->kind;
}

const LayerParameter* find_parameter(const LayerDescriptor& descriptor, const LayerParameter::Field& field) {
  for (const LayerParameter& parameter : descriptor.parameters) {
    if (parameter.field == field) return &parameter;
  }
  return nullptr;
}

}  // namespace rtn

// What the JSON model loaders share; see json_document.hpp.
#include "io/json_document.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "rtn/error.hpp"

namespace rtn::io {

namespace {

constexpr std::size_t kMaxShownText = 40;

bool is_plain_key(const std::string& key) {
  if (key.empty() || key.size() > kMaxShownText) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Keys are shown bare when they look like identifiers, quoted otherwise (spaces, dots, very long).
std::string key_text(const std::string& key) { return is_plain_key(key) ? key : quoted(key); }

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Text -> JSON tree.

// Builds the tree like nlohmann's own DOM parser, and also rejects a key that appears twice in one
// object (nlohmann keeps the last silently, which would hide a typo or an exporter bug) and nesting
// deeper than kMaxNesting.
class TreeBuilder final : public nlohmann::json_sax<Json> {
 public:
  TreeBuilder(Json& root, const std::string& source) : root_(root), source_(source) {}

  bool null() override { return add(Json(nullptr)); }
  bool boolean(bool value) override { return add(Json(value)); }
  bool number_integer(number_integer_t value) override { return add(Json(value)); }
  bool number_unsigned(number_unsigned_t value) override { return add(Json(value)); }
  // nlohmann itself refuses a number that overflows a double ("number overflow parsing '1e400'").
  bool number_float(number_float_t value, const string_t&) override { return add(Json(value)); }
  bool string(string_t& value) override { return add(Json(std::move(value))); }
  bool binary(binary_t& value) override { return add(Json(std::move(value))); }

  bool start_object(std::size_t) override { return open(Json::object()); }
  bool start_array(std::size_t) override { return open(Json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool key(string_t& key) override {
    const Json& object = *containers_.back();
    if (object.find(key) != object.end()) {
      keys_.back() = key;
      fail(pending_path(), "duplicate key (a key may appear only once in an object)");
    }
    keys_.back() = std::move(key);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const Json::exception& error) override {
    parse_error_ = error.what();
    parse_error_position_ = position;
    return false;
  }

  const std::string& parse_error_message() const { return parse_error_; }
  // Bytes read when the parser gave up.
  std::size_t parse_error_position() const { return parse_error_position_; }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw Error(source_ + ": " + (path.empty() ? "" : path + ": ") + what);
  }

  // The path of the value about to be added.
  std::string pending_path() const {
    std::string path;
    for (std::size_t level = 0; level < containers_.size(); ++level) {
      const Json& container = *containers_[level];
      if (container.is_object()) {
        path = member_path(path, keys_[level]);
      } else {
        // A container below the top is the last element of its parent; at the top, the next one.
        const bool top = level + 1 == containers_.size();
        path = element_path(path, container.size() - (top ? 0 : 1));
      }
    }
    return path;
  }

  bool add(Json&& value) {
    insert(std::move(value));
    return true;
  }

  Json* insert(Json&& value) {
    if (containers_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& parent = *containers_.back();
    if (parent.is_array()) {
      auto& elements = parent.get_ref<Json::array_t&>();
      elements.push_back(std::move(value));
      return &elements.back();
    }
    Json& slot = parent[keys_.back()];
    slot = std::move(value);
    return &slot;
  }

  bool open(Json&& container) {
    if (containers_.size() >= kMaxNesting) {
      fail(pending_path(),
           "arrays and objects nested deeper than " + std::to_string(kMaxNesting) + " levels");
    }
    Json* added = insert(std::move(container));
    containers_.push_back(added);
    keys_.emplace_back();
    return true;
  }

  bool close() {
    containers_.pop_back();
    keys_.pop_back();
    return true;
  }

  Json& root_;
  const std::string& source_;
  std::vector<Json*> containers_;  // the open arrays and objects, outermost first
  std::vector<std::string> keys_;  // per open container: the key of the member being read (objects)
  std::string parse_error_;
  std::size_t parse_error_position_ = 0;
};

// "line 3, column 5" of the byte offset, counted as nlohmann counts (column = bytes since the newline).
std::string text_position(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  const std::size_t line =
      1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
  const std::size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  const std::size_t column =
      line_start == std::string_view::npos || offset == 0 ? offset : offset - line_start - 1;
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// True when the token the parser stopped at starts like NaN or Infinity.
bool stopped_at_nan_or_infinity(const std::string& detail) {
  const std::string lead = "last read: '";
  const std::size_t start = detail.find(lead);
  if (start == std::string::npos) return false;
  std::size_t end = detail.find("'; expected", start);
  if (end == std::string::npos) end = detail.rfind('\'');
  if (end == std::string::npos || end <= start + lead.size()) return false;
  const char last = detail[end - 1];
  return last == 'N' || last == 'I';
}

// nlohmann says "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error ...";
// we say "not valid JSON: syntax error ... at line 3, column 5". Some of its errors give no position
// ("number overflow parsing '1e400'"): then we work it out from the byte offset.
std::string describe_parse_error(const std::string& what, std::string_view text, std::size_t offset) {
  std::string detail = what;
  if (detail.rfind("[json.exception.", 0) == 0) {
    const std::size_t end = detail.find("] ");
    if (end != std::string::npos) detail.erase(0, end + 2);
  }
  std::string position;
  const std::string lead = "parse error at ";
  if (detail.rfind(lead, 0) == 0) {
    const std::size_t colon = detail.find(": ", lead.size());
    if (colon != std::string::npos) {
      position = detail.substr(lead.size(), colon - lead.size());
      detail.erase(0, colon + 2);
    }
  } else if (detail.rfind("parse error: ", 0) == 0) {
    detail.erase(0, std::strlen("parse error: "));
  }
  // A long "last read" token (a cut-off string, say) would bury the position.
  if (detail.size() > 300) detail = detail.substr(0, 300) + "...";
  // nlohmann shows control characters as <U+000A> but passes other bytes through, broken UTF-8 included.
  for (char& c : detail) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  if (position.empty()) position = text_position(text, offset);
  std::string message = "not valid JSON: " + detail + " at " + position;
  // Python's json.dump writes NaN and Infinity, which are not JSON.
  if (stopped_at_nan_or_infinity(detail)) {
    message += " (JSON has no NaN or Infinity, and weights must be finite)";
  }
  return message;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Paths and value descriptions for messages.

std::string quoted(const std::string& text) {
  std::string shown = text.size() > kMaxShownText ? text.substr(0, kMaxShownText) : text;
  // The parser has checked the UTF-8, but a cut may split a character: replace rather than throw.
  std::string result = Json(shown).dump(-1, ' ', false, Json::error_handler_t::replace);
  if (shown.size() < text.size()) result.insert(result.size() - 1, "...");
  return result;
}

std::string member_path(const std::string& path, const std::string& key) {
  return path.empty() ? key_text(key) : path + "." + key_text(key);
}

std::string element_path(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string describe(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return quoted(value.get_ref<const std::string&>());
    default:
      return value.dump();
  }
}

std::optional<long long> integer_value(const Json& value) {
  constexpr long long kHuge = 1LL << 62;
  if (value.is_number_unsigned()) {
    return static_cast<long long>(std::min<unsigned long long>(value.get<unsigned long long>(), kHuge));
  }
  if (value.is_number_integer()) return value.get<long long>();
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (number != std::floor(number)) return std::nullopt;
    return static_cast<long long>(
        std::clamp(number, -static_cast<double>(kHuge), static_cast<double>(kHuge)));
  }
  return std::nullopt;
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

std::string suggestion(const std::string& unknown, const std::vector<std::string>& known) {
  if (unknown.size() > 64) return "";
  std::size_t best_distance = 3;
  const std::string* best = nullptr;
  for (const std::string& name : known) {
    const std::size_t distance = edit_distance(unknown, name);
    if (distance < best_distance) {
      best_distance = distance;
      best = &name;
    }
  }
  return best ? " (did you mean \"" + *best + "\"?)" : "";
}

// ---------------------------------------------------------------------------------------------------
// The document and its weight arrays.

Json parse_json_document(std::string_view text, const std::string& source) {
  Json root;
  TreeBuilder builder(root, source);
  if (!Json::sax_parse(text.begin(), text.end(), &builder)) {
    throw Error(source + ": " +
                describe_parse_error(builder.parse_error_message(), text, builder.parse_error_position()));
  }
  return root;
}

namespace {

[[noreturn]] void fail_at(const std::string& prefix, const std::string& path, const std::string& what) {
  throw Error(prefix + path + ": " + what);
}

// Built only for a message: "layers[0].weights.weight[2][1]".
std::string indexed_path(const std::string& path, const std::size_t* index, std::size_t depth) {
  std::string result = path;
  for (std::size_t i = 0; i < depth; ++i) result = element_path(result, index[i]);
  return result;
}

// Checks that every array at depth `depth` has the length of the first one (no ragged rows) and appends
// the numbers in row-major order. Recursion is bounded by kMaxWeightDimensions.
void read_values(const Json& value, std::size_t depth, std::size_t* index, const std::string& path,
                 const std::string& prefix, Tensor& tensor) {
  if (depth == tensor.shape.size()) {
    if (!value.is_number()) {
      fail_at(prefix, indexed_path(path, index, depth), "expected a number, got " + describe(value));
    }
    const double number = value.get<double>();
    if (!(std::fabs(number) <= FLT_MAX)) {
      const std::string problem = " is outside the range of a float (weights must be finite floats)";
      fail_at(prefix, indexed_path(path, index, depth), value.dump() + problem);
    }
    tensor.values.push_back(static_cast<float>(number));
    return;
  }
  const std::size_t length = static_cast<std::size_t>(tensor.shape[depth]);
  if (!value.is_array() || value.size() != length) {
    const std::string found =
        value.is_array() ? "an array of " + std::to_string(value.size()) : describe(value);
    fail_at(prefix, indexed_path(path, index, depth),
            "expected an array of " + std::to_string(length) + " like the first one at this depth, got " +
                found + " (a weight array must not be ragged)");
  }
  for (std::size_t i = 0; i < length; ++i) {
    index[depth] = i;
    read_values(value[i], depth + 1, index, path, prefix, tensor);
  }
}

}  // namespace

Tensor read_weight_tensor(const Json& value, const std::string& path, const std::string& prefix) {
  Tensor tensor;
  std::size_t count = 1;
  for (const Json* level = &value; level->is_array(); level = &level->front()) {
    if (tensor.shape.size() == kMaxWeightDimensions) {
      fail_at(prefix, path,
              "arrays nested deeper than " + std::to_string(kMaxWeightDimensions) +
                  " levels (a weight has at most " + std::to_string(kMaxWeightDimensions) + " dimensions)");
    }
    // Both factors are <= kMaxTotalWeights (2^28) here, so the product cannot overflow.
    if (level->size() > kMaxTotalWeights || (count *= level->size()) > kMaxTotalWeights) {
      fail_at(prefix, path,
              "more than " + std::to_string(kMaxTotalWeights) + " values (a limit against malformed files)");
    }
    tensor.shape.push_back(static_cast<int>(level->size()));
    if (level->empty()) break;
  }
  tensor.values.reserve(count);
  std::size_t index[kMaxWeightDimensions] = {};
  read_values(value, 0, index, path, prefix, tensor);
  return tensor;
}

const Json& read_layers_array(const Json& root, const std::string& prefix) {
  const auto fail = [&](const std::string& what) { throw Error(prefix + "layers: " + what); };
  const auto layers = root.find("layers");
  if (layers == root.end()) fail("missing (expected an array of layers)");
  if (!layers->is_array()) fail("expected an array of layers, got " + describe(*layers));
  if (layers->empty()) fail("a model needs at least one layer, got an empty array");
  if (layers->size() > kMaxLayers) {
    fail("a model may have at most " + std::to_string(kMaxLayers) + " layers, got " + std::to_string(layers->size()));
  }
  return *layers;
}

}  // namespace rtn::io

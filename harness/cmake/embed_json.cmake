# Generates a C++ source that embeds a JSON file as a string literal:
#   cmake -DINPUT=clauses.json -DOUTPUT=clauses_json.cpp -P embed_json.cmake
# A raw string literal keeps the text byte for byte; its delimiter cannot
# occur in JSON.
file(READ "${INPUT}" content)
file(WRITE "${OUTPUT}"
  "// Generated from ${INPUT} by harness/cmake/embed_json.cmake. Do not edit.\n"
  "#include \"registry/clauses_json.hpp\"\n\n"
  "namespace loopcert {\n\n"
  "std::string_view embedded_clauses_json() noexcept {\n"
  "  static constexpr char json[] = R\"registry(${content})registry\";\n"
  "  return {json, sizeof json - 1};\n"
  "}\n\n"
  "}  // namespace loopcert\n")

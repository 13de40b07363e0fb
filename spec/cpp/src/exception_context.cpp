#include "pep3156/exception_context.hpp"

namespace pep3156 {

std::string describe(const ExceptionContext& context) {
  std::string text = context.message.empty() ? "unhandled exception" : context.message;
  if (context.exception) {
    try {
      std::rethrow_exception(context.exception);
    } catch (const std::exception& e) {
      text += ": ";
      text += e.what();
    } catch (const BaseException& e) {
      text += ": ";
      text += e.what();
    } catch (...) {
      text += ": (an exception of unknown type)";
    }
  }
  for (const auto& [key, value] : context.extra) text += "; " + key + "=" + value;
  return text;
}

}  // namespace pep3156

// The C++ side of a ProtocolProxy (bridge_module.cpp): a Python protocol
// factory that makes the C++ protocol and the proxy driving it, and the
// dispatcher each proxy calls with (event, argument).
//
// The edges Python's gc cannot see: Python transport -> proxy ->
// dispatcher -> ConnectionEnds -> transport wrapper -> Python transport.
// The loop's close() (or its release, unclosed) cuts every proxy's
// dispatcher (detach_proxies()), so a connection left open at close() is
// collected and its socket closed instead of leaking. Not earlier: a call
// the library makes after connection_lost() must reach the C++ protocol,
// where the kit sees it.
#pragma once

#include <memory>
#include <string_view>

#include "bridge_module.hpp"
#include "conversions.hpp"
#include "cpp_function.hpp"
#include "exceptions.hpp"
#include "pep3156/errors.hpp"
#include "pep3156/protocols.hpp"
#include "pep3156/value.hpp"
#include "python_future.hpp"

namespace loopcert_python {

/// One connection's C++ side: the protocol, and its transport once made.
template <class Protocol, class Transport>
struct ConnectionEnds {
  std::shared_ptr<Protocol> protocol;
  std::shared_ptr<Transport> transport;
};

/// The events every protocol has (BaseProtocol's); false for another.
/// The protocol runs without the GIL.
template <class Protocol, class Transport>
bool dispatch_base_event(ConnectionEnds<Protocol, Transport>& ends, std::string_view event,
                         PyObject* argument) {
  if (event == "made") {
    ends.transport = std::make_shared<Transport>(PyRef::borrow(argument));
    std::shared_ptr<Transport> transport = ends.transport;
    GilReleased released;
    ends.protocol->connection_made(std::move(transport));
  } else if (event == "pause") {
    GilReleased released;
    ends.protocol->pause_writing();
  } else if (event == "resume") {
    GilReleased released;
    ends.protocol->resume_writing();
  } else if (event == "lost") {
    std::exception_ptr error = argument == Py_None ? nullptr : to_cpp_exception(argument);
    GilReleased released;
    ends.protocol->connection_lost(std::move(error));
  } else {
    return false;
  }
  return true;
}

/// A stream protocol's own events (a connection's, a read pipe's): data
/// and end of file.
template <class Transport>
PyRef dispatch_stream_event(ConnectionEnds<pep3156::Protocol, Transport>& ends, std::string_view event,
                            PyObject* argument) {
  if (event == "data") {
    pep3156::BytesView data = bytes_view(argument);  // the args tuple keeps the bytes alive
    GilReleased released;
    ends.protocol->data_received(data);
  } else if (event == "eof") {
    bool keep_open = false;
    {
      GilReleased released;
      keep_open = ends.protocol->eof_received();
    }
    return PyRef::borrow(keep_open ? Py_True : Py_False);
  }
  return PyRef();
}

/// The (transport, protocol) pair of the one connection `made` receives:
/// what create_connection() and its kin complete with.
template <class Connection, class Ends>
ResultConverter connection_result(std::shared_ptr<std::shared_ptr<Ends>> made) {
  return [made](PyObject*) {
    const Ends& ends = **made;
    return pep3156::Value(Connection{ends.transport, ends.protocol});
  };
}

/// The Python protocol factory for `factory`: each call makes a C++
/// protocol and a `proxy_class` proxy whose events go to
/// dispatch(ends, event, argument); `made`, if given, receives the
/// connection's ends (the one connection of create_connection()). GIL held.
template <class Protocol, class Transport, class Dispatch>
PyRef python_protocol_factory(
    PyObject* python_loop, const char* proxy_class, pep3156::Factory<Protocol> factory, Dispatch dispatch,
    std::shared_ptr<std::shared_ptr<ConnectionEnds<Protocol, Transport>>> made = nullptr) {
  using Ends = ConnectionEnds<Protocol, Transport>;
  return make_function([loop = PyRef::borrow(python_loop), proxy_class, factory = std::move(factory),
                        dispatch, made = std::move(made)](PyObject*) -> PyRef {
    std::shared_ptr<Protocol> protocol;
    {
      GilReleased released;
      protocol = factory();
    }
    if (!protocol) throw pep3156::TypeError("the protocol factory returned no protocol");
    auto ends = std::make_shared<Ends>(Ends{std::move(protocol), nullptr});
    if (made) *made = ends;
    PyRef dispatcher = make_function([ends, dispatch](PyObject* args) -> PyRef {
      std::string_view event = PyUnicode_AsUTF8(PyTuple_GetItem(args, 0));
      PyObject* argument = PyTuple_GetItem(args, 1);
      if (dispatch_base_event(*ends, event, argument)) return PyRef();
      return dispatch(*ends, event, argument);
    });
    PyRef proxy = check(bridge_attribute(proxy_class).release());
    return check(PyObject_CallFunction(proxy.get(), "OO", loop.get(), dispatcher.get()));
  });
}

}  // namespace loopcert_python

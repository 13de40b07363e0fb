// What the poller and proactor backends share privately: their factories,
// which make_poller() and make_proactor() pick from, and the argument
// checks every add(), modify() and poll() starts with.
#pragma once

#include <memory>

#include "reference/poller.hpp"
#include "reference/proactor.hpp"

namespace pep3156::reference {

std::unique_ptr<Poller> make_select_poller();
std::unique_ptr<Poller> make_poll_poller();
#ifdef PEP3156_HAVE_EPOLL
std::unique_ptr<Poller> make_epoll_poller();
#endif
#ifdef PEP3156_HAVE_KQUEUE
std::unique_ptr<Poller> make_kqueue_poller();
#endif
#ifdef PEP3156_HAVE_IO_URING
std::unique_ptr<Proactor> make_io_uring_proactor();
#endif
#ifdef _WIN32
std::unique_ptr<Proactor> make_iocp_proactor();
#endif

/// ValueError unless fd >= 0 and `events` is readable, writable or both
/// (the preconditions of Poller::add(), Poller::modify() and
/// Proactor::poll()).
void check_registration(int fd, Events events);

}  // namespace pep3156::reference

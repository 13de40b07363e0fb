// What the poller backends share privately: their factories, which
// make_poller() picks from, and the argument checks every add() and
// modify() starts with.
#pragma once

#include <memory>

#include "reference/poller.hpp"

namespace pep3156::reference {

std::unique_ptr<Poller> make_select_poller();
std::unique_ptr<Poller> make_poll_poller();
#ifdef PEP3156_HAVE_EPOLL
std::unique_ptr<Poller> make_epoll_poller();
#endif
#ifdef PEP3156_HAVE_KQUEUE
std::unique_ptr<Poller> make_kqueue_poller();
#endif

/// ValueError unless fd >= 0 and `events` is readable, writable or both
/// (the preconditions of Poller::add() and Poller::modify()).
void check_registration(int fd, Events events);

}  // namespace pep3156::reference

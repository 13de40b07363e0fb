// A model of BSD's <sys/event.h> for Linux, so that kqueue_poller.cpp
// compiles and runs its tests where no kqueue exists (kqueue_model.cpp).
// The layout and constants are FreeBSD's (sys/sys/event.h); only what
// kqueue_poller.cpp uses is here.
#pragma once

#include <stdint.h>
#include <time.h>

#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)

#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_ERROR 0x4000
#define EV_EOF 0x8000

struct kevent {
  uintptr_t ident;
  short filter;
  unsigned short flags;
  unsigned int fflags;
  intptr_t data;
  void* udata;
};

#define EV_SET(kevp, a, b, c, d, e, f) \
  do {                                 \
    (kevp)->ident = (a);               \
    (kevp)->filter = (b);              \
    (kevp)->flags = (c);               \
    (kevp)->fflags = (d);              \
    (kevp)->data = (e);                \
    (kevp)->udata = (f);               \
  } while (0)

#ifdef __cplusplus
extern "C" {
#endif
int kqueue(void);
int kevent(int kq, const struct kevent* changelist, int nchanges, struct kevent* eventlist, int nevents,
           const struct timespec* timeout);
#ifdef __cplusplus
}
#endif

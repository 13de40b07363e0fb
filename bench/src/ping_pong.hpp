// Probe 5's parts (ping_pong.cpp), shared by every echo side that runs it:
// the contract's add_reader(), the blocking baseline, and the libraries'
// own APIs (bench/native/), so that each does the same work against the
// same peer.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <functional>
#include <utility>

#include "raw.hpp"

namespace loopbench {

/// Bytes per message, each way, on the socketpair (ping_pong/*; the TCP
/// variants, ping_pong_tcp/N, take N).
constexpr std::size_t kMessage = 16;

/// Registers "ping_pong/<variant>", timed as the probe is (real time: the
/// work is shared with another thread).
benchmark::internal::Benchmark* ping_pong_probe(const char* variant, void (*body)(benchmark::State&));

/// The peer's side: one round trip of a `size`-byte message on `fd` per
/// benchmark iteration.
void ping(benchmark::State& state, int fd, std::size_t size = kMessage);

/// The echo side's work once `fd` (non-blocking) is readable: reads what
/// came and writes it back whole (a 16-byte reply always fits in the empty
/// socket buffer). False at end of stream or on an error, after which the
/// echo side stops; true as well if nothing was there after all.
bool echo_once(int fd) noexcept;

/// ping() on one end of a fresh socketpair against `echo` on a thread of its
/// own, given the other end (blocking: `echo` makes it non-blocking if it
/// needs). `echo` returns once it reads end of stream, which it does after
/// the last iteration, or once echo_once() fails; if it fails or throws,
/// the benchmark is skipped.
void ping_against(benchmark::State& state, void (*echo)(int fd));

/// The same with any pair of connected sockets and message size: ping() of
/// `size`-byte messages on `sockets.first` against `echo` given
/// `sockets.second` (the baselines' blocking echo, over TCP as well).
void ping_against(benchmark::State& state, const std::function<void(int fd)>& echo, std::pair<Fd, Fd> sockets,
                  std::size_t size);

}  // namespace loopbench

// loopcert's parts, one by one, on made-up cases and reports.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "command/options.hpp"
#include "judging/budgets.hpp"
#include "judging/categories.hpp"
#include "judging/compare.hpp"
#include "judging/expectations.hpp"
#include "judging/verdict.hpp"
#include "loopcert/adapter_loader.hpp"
#include "registry/case_meta.hpp"
#include "registry/host.hpp"
#include "registry/lint.hpp"
#include "registry/registry.hpp"
#include "reporting/report_ctrf.hpp"
#include "reporting/report_file.hpp"
#include "reporting/report_junit.hpp"
#include "running/fd_table.hpp"
#include "running/run_command.hpp"
#include "running/wire.hpp"

using namespace loopcert;
using conformance::CaseInfo;
using conformance::CaseSpec;
using conformance::Outcome;
using nlohmann::json;

namespace {

/// A small registry: one clause of each kind the rules care about.
const Registry& registry() {
  static const Registry r = Registry::parse(R"({
    "version": 1, "source": "test",
    "clauses": [
      {"id": "R-MUST", "area": "CB", "level": "MUST", "tier": "required"},
      {"id": "R-MUST-2", "area": "CB", "level": "MUST", "tier": "required"},
      {"id": "E-MUST", "area": "LIFE", "level": "MUST", "tier": "required-except-embedded"},
      {"id": "IO-MUST", "area": "IO", "level": "MUST", "tier": "optional-io"},
      {"id": "R-SHOULD", "area": "CB", "level": "SHOULD", "tier": "required"},
      {"id": "R-MAY", "area": "CB", "level": "MAY", "tier": "required"},
      {"id": "CALLER-MUST", "area": "SOCK", "level": "MUST", "tier": "required", "qualifiers": ["caller"]},
      {"id": "X-MUST", "area": "EXTRA", "level": "MUST", "tier": "extra"}
    ],
    "untestable": [{"id": "NT-X"}],
    "draft_only": [{"id": "DRAFT-X"}]
  })");
  return r;
}

void nothing(conformance::Context&) {}

CaseInfo a_case(std::string id, CaseSpec spec) {
  return CaseInfo{std::move(id), std::move(spec), &nothing, "f.cpp", 1};
}

CaseRun a_run(const CaseInfo& info, Outcome outcome) {
  CaseRun run;
  run.meta = describe_case(info, registry());
  run.outcome = outcome;
  run.message = outcome == Outcome::pass ? "" : "why";
  return run;
}

bool contains(const std::vector<std::string>& lines, const std::string& part) {
  for (const auto& line : lines) {
    if (line.find(part) != std::string::npos) return true;
  }
  return false;
}

std::string temporary_file(const std::string& text) {
  char path[] = "/tmp/loopcert-unit-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("registry: the embedded registry parses, and every tier maps back and forth") {
  const Registry& embedded = Registry::embedded();
  CHECK(embedded.clauses().size() > 200);
  CHECK(embedded.find("LOOP-CALLSOON-FIFO") != nullptr);
  CHECK(embedded.find("NO-SUCH-CLAUSE") == nullptr);
  for (const char* tier : {"required", "required-except-embedded", "optional-io", "optional-pipes",
                           "optional-signals", "optional-all", "policy", "library", "extra"}) {
    REQUIRE(parse_tier(tier));
    CHECK(tier_name(*parse_tier(tier)) == tier);
  }
  CHECK(tier_category(Tier::optional_io) == pep3156::Category::io_callbacks);
  CHECK_FALSE(tier_category(Tier::required));
  CHECK_THROWS(Registry::parse(R"({"clauses": [{"id": "A-B", "level": "OFTEN", "tier": "required"}]})"));
  CHECK_THROWS(Registry::parse("not json"));
}

TEST_CASE("case_meta: level, tier, advisory and needs follow from the clauses") {
  auto must = describe_case(a_case("s.a", CaseSpec{"R-SHOULD", "R-MUST"}), registry());
  CHECK(must.level == Level::must);
  CHECK_FALSE(must.advisory);
  auto should = describe_case(a_case("s.b", CaseSpec{"R-SHOULD", "R-MAY"}), registry());
  CHECK(should.level == Level::should);
  CHECK(should.advisory);
  auto io = describe_case(a_case("s.c", CaseSpec{"R-MUST", "IO-MUST"}), registry());
  CHECK(io.tier == Tier::optional_io);
  CHECK(pep3156::has(io.needs, pep3156::Category::io_callbacks));
  auto extension = describe_case(a_case("s.e", CaseSpec{"R-MUST"}.extension("D-ERR-6")), registry());
  CHECK(extension.level == Level::must);
  CHECK(extension.advisory);
  CHECK(extension.extension == "D-ERR-6");
  auto unknown = describe_case(a_case("s.d", CaseSpec{"NOPE"}), registry());
  CHECK(unknown.unknown_clauses == std::vector<std::string>{"NOPE"});
}

TEST_CASE("adapter contract: a clock resolution beyond the cap is a usage error (D-CB-2)") {
  auto make = []() -> std::shared_ptr<pep3156::AbstractEventLoop> { return nullptr; };
  pep3156::Adapter adapter{.name = "coarse", .make_loop = make};
  pep3156::AdapterList list{.adapters = &adapter, .count = 1};
  adapter.capabilities.clock_resolution = kMaxClockResolution;
  CHECK_NOTHROW(check_contract(list, "test"));
  adapter.capabilities.clock_resolution = 0.5;
  CHECK_THROWS_AS(check_contract(list, "test"), UsageError);
  adapter.capabilities.clock_resolution = -1e-3;
  CHECK_THROWS_AS(check_contract(list, "test"), UsageError);
}

TEST_CASE("case_meta: what makes a case not apply to a loop") {
  pep3156::Capabilities none;
  pep3156::Capabilities io;
  io.categories = pep3156::Category::io_callbacks;
  pep3156::Capabilities embedded;
  embedded.embedded = true;
  auto needs_io = a_case("s.io", CaseSpec{"IO-MUST"});
  auto needs_ipv6 = a_case("s.v6", CaseSpec{"R-MUST"}.needs(pep3156::Category::ipv6));
  auto without_io = a_case("s.nie", CaseSpec{"R-MUST"}.only_without(pep3156::Category::io_callbacks));
  auto lifecycle = a_case("s.life", CaseSpec{"E-MUST"});
  CHECK(inapplicable_reason(describe_case(needs_io, registry()), none).value().find("does not declare io") !=
        std::string::npos);
  CHECK_FALSE(inapplicable_reason(describe_case(needs_io, registry()), io));
  // IPv6 is the host's (D-TIER-5): without it the reason names the host,
  // and an adapter declaring it changes nothing.
  pep3156::Capabilities declares_ipv6 = io;
  declares_ipv6.categories = io.categories | pep3156::Category::ipv6;
  CHECK(inapplicable_reason(describe_case(needs_ipv6, registry()), on_host(declares_ipv6, {})) ==
        "host: no IPv6 loopback");
  CHECK_FALSE(
      inapplicable_reason(describe_case(needs_ipv6, registry()), on_host(io, {.ipv6_loopback = true})));
  CHECK(without_host_properties(declares_ipv6).categories == io.categories);
  CHECK(inapplicable_reason(describe_case(without_io, registry()), io).value().find("declares io") !=
        std::string::npos);
  CHECK_FALSE(inapplicable_reason(describe_case(without_io, registry()), none));
  CHECK(inapplicable_reason(describe_case(lifecycle, registry()), embedded).value().find("embedded") !=
        std::string::npos);
  CHECK_FALSE(inapplicable_reason(describe_case(lifecycle, registry()), none));
}

TEST_CASE("latency: nearest-rank percentiles; early samples counted, and as zero") {
  std::vector<std::int64_t> samples;
  for (int i = 100; i >= 1; --i) samples.push_back(i);
  samples.push_back(-5);
  auto s = conformance::summarize("probe", samples);
  CHECK(s.count == 101);
  CHECK(s.early == 1);
  CHECK(s.p50 == 50);
  CHECK(s.p90 == 90);
  CHECK(s.p99 == 99);
  CHECK(s.max == 100);
  auto empty = conformance::summarize("none", {});
  CHECK(empty.count == 0);
  CHECK(empty.max == 0);
}

TEST_CASE("budgets: parsing, units, and QUALITY_WARNING for a passed case over budget") {
  Budgets budgets;
  parse_budget("call_soon_dispatch.p99=50us", budgets);
  parse_budget("timer_lateness.max=2ms", budgets);
  parse_budget("x.p50=1.5s", budgets);
  parse_budget("y.p90=700", budgets);
  CHECK(budgets["call_soon_dispatch"]["p99"] == 50'000);
  CHECK(budgets["timer_lateness"]["max"] == 2'000'000);
  CHECK(budgets["x"]["p50"] == 1'500'000'000);
  CHECK(budgets["y"]["p90"] == 700);
  CHECK_THROWS_AS(parse_budget("nodot=5us", budgets), std::invalid_argument);
  CHECK_THROWS_AS(parse_budget("a.p42=5us", budgets), std::invalid_argument);
  CHECK_THROWS_AS(parse_budget("a.p99=5 parsecs", budgets), std::invalid_argument);
  // Found by harness/fuzz: a number read in part, or too big for int64 nanoseconds.
  CHECK_THROWS_AS(parse_budget("a.p99=1.2.3ms", budgets), std::invalid_argument);
  CHECK_THROWS_AS(parse_budget("a.p99=.", budgets), std::invalid_argument);
  CHECK_THROWS_AS(parse_budget("a.p99=99999999999999999999s", budgets), std::invalid_argument);
  CHECK_THROWS_AS(parse_budget("a.p99=1" + std::string(400, '0'), budgets), std::invalid_argument);

  auto info = a_case("latency.x", CaseSpec{"R-MUST"});
  std::vector<CaseRun> runs{a_run(info, Outcome::pass), a_run(info, Outcome::fail)};
  for (auto& run : runs)
    run.latency.push_back(ProbeResult{conformance::summarize("call_soon_dispatch", {90'000}), {}, false});
  auto unused = apply_budgets(budgets, runs);
  CHECK(runs[0].outcome == Outcome::quality_warning);
  CHECK(runs[0].message.find("over its budget of 50us") != std::string::npos);
  CHECK(runs[0].latency[0].over_budget);
  CHECK(runs[1].outcome == Outcome::fail);  // a failure stays a failure
  CHECK(unused == std::vector<std::string>{"timer_lateness", "x", "y"});
  std::string file = temporary_file("# comment\n\n  timer_lateness.p99=3ms  # why\n");
  Budgets from_file;
  load_budget_file(file, from_file);
  CHECK(from_file["timer_lateness"]["p99"] == 3'000'000);
  std::remove(file.c_str());
  CHECK(format_ns(850) == "850ns");
  CHECK(format_ns(50'000) == "50us");

  CHECK_THROWS_WITH_AS(load_budget_file(std::filesystem::temp_directory_path().string(), from_file),
                       doctest::Contains("is a directory"), std::runtime_error);
  CHECK_NOTHROW(check_budget_probes(from_file));
  Budgets misspelled;
  parse_budget("timer_latenes.p99=3ms", misspelled);
  CHECK_THROWS_WITH_AS(check_budget_probes(misspelled),
                       doctest::Contains("the probe 'timer_latenes', which the kit does not measure"),
                       std::invalid_argument);
}

TEST_CASE("wire: failures and results survive the pipe; garbage is set aside") {
  conformance::CaseResult result;
  result.outcome = Outcome::fail;
  result.message = "why \"quoted\"\n";
  result.not_implemented = true;
  result.latency.push_back(conformance::summarize("p", {1, 2, 3}));
  std::string lines = encode_failure({"first", "a.cpp", 7}) + "not json\n" + encode_result(result);
  auto decoded = decode_messages(lines);
  REQUIRE(decoded.failures.size() == 1);
  CHECK(decoded.failures[0].message == "first");
  CHECK(decoded.failures[0].line == 7);
  REQUIRE(decoded.result);
  CHECK(decoded.result->outcome == Outcome::fail);
  CHECK(decoded.result->message == result.message);
  CHECK(decoded.result->not_implemented);
  CHECK(decoded.result->latency.at(0).p99 == 3);
  CHECK(decoded.garbled == std::vector<std::string>{"not json"});
}

TEST_CASE("wire: a loop's description survives it, and a line may end in CRLF (Wine's stdout)") {
  LoopDescription loop{"kqueue", "the reference loop", "/opt/lib/libx.so", 2, {}, {.ipv6_loopback = true}};
  loop.capabilities.categories = pep3156::Category::io_callbacks | pep3156::Category::signals;
  loop.capabilities.embedded = true;
  loop.capabilities.clock_resolution = 0.001;
  std::string line = encode_loop(loop);
  auto decoded = decode_messages(line.insert(line.size() - 1, "\r") + encode_failure({"f", "", 0}) + "\r\n");
  CHECK(decoded.garbled.empty());
  CHECK(decoded.failures.size() == 1);
  REQUIRE(decoded.loops.size() == 1);
  const LoopDescription& back = decoded.loops[0];
  CHECK(back.name == "kqueue");
  CHECK(back.description == loop.description);
  CHECK(back.library == loop.library);
  CHECK(back.contract_version == 2);
  CHECK(back.capabilities.categories == loop.capabilities.categories);
  CHECK(back.capabilities.embedded);
  CHECK(back.capabilities.clock_resolution == 0.001);
  CHECK(back.host.ipv6_loopback);
  CHECK(decode_messages(R"({"event":"loop","name":"x","contract":2,"capabilities":{"categories":["gpu"]}})")
            .garbled.size() == 1);
}

TEST_CASE("judge: what a case process left behind becomes its outcome") {
  auto info = a_case("s.x", CaseSpec{"R-MUST"});
  auto judged = [&](ChildOutcome child) {
    CaseRun run = a_run(info, Outcome::unsupported);
    judge(run, child, 30);
    return run;
  };
  ChildOutcome reported;
  reported.messages.result = conformance::CaseResult{Outcome::pass, "", false, {}};
  CHECK(judged(reported).outcome == Outcome::pass);

  ChildOutcome killed;
  killed.timed_out = true;
  killed.messages.failures.push_back({"checked first", "", 0});
  auto timeout = judged(killed);
  CHECK(timeout.outcome == Outcome::timeout);
  CHECK(timeout.message.find("hard timeout of 30 s") != std::string::npos);
  CHECK(timeout.message.find("checked first") != std::string::npos);

  ChildOutcome signalled;
  signalled.wait_status = SIGSEGV;  // WIFSIGNALED, WTERMSIG == SIGSEGV
  auto crash = judged(signalled);
  CHECK(crash.outcome == Outcome::crash);
  CHECK(crash.message.find("signal 11") != std::string::npos);

  ChildOutcome reported_then_failed = reported;
  reported_then_failed.wait_status = 23 << 8;  // LeakSanitizer's exit status
  auto leaked = judged(reported_then_failed);
  CHECK(leaked.outcome == Outcome::crash);
  CHECK(leaked.message.find("reported PASS, then exited with status 23") != std::string::npos);

  ChildOutcome watchdog_failure;
  watchdog_failure.messages.result =
      conformance::CaseResult{Outcome::fail, "the loop did not return", false, {}};
  watchdog_failure.wait_status = 1 << 8;
  CHECK(judged(watchdog_failure).outcome == Outcome::fail);

  ChildOutcome silent;
  silent.wait_status = 3 << 8;  // exit(3)
  auto exited = judged(silent);
  CHECK(exited.outcome == Outcome::crash);
  CHECK(exited.message.find("status 3 without reporting a result") != std::string::npos);
}

TEST_CASE("verdict: conforming, non-conforming by clause, advisory and embedded") {
  pep3156::Capabilities all;
  all.categories =
      pep3156::Category::io_callbacks | pep3156::Category::pipes_subprocesses | pep3156::Category::signals;
  auto must = a_case("s.must", CaseSpec{"R-MUST", "R-MAY"});
  auto should = a_case("s.should", CaseSpec{"R-SHOULD"});
  auto life = a_case("s.life", CaseSpec{"E-MUST"});

  auto good = decide_verdict({a_run(must, Outcome::pass), a_run(should, Outcome::fail)}, all, 2, registry());
  CHECK(good.kind == VerdictKind::conforming);
  CHECK(contains(good.reasons, "advisory"));

  auto bad = decide_verdict({a_run(must, Outcome::timeout), a_run(life, Outcome::fail)}, all, 2, registry());
  CHECK(bad.kind == VerdictKind::non_conforming);
  CHECK(contains(bad.reasons, "R-MUST (MUST, required) failed: s.must (TIMEOUT)"));
  CHECK(contains(bad.reasons, "E-MUST (MUST, required-except-embedded) failed: s.life"));
  CHECK_FALSE(contains(bad.reasons, "R-MAY"));

  auto unresolved = decide_verdict({a_run(must, Outcome::unresolved)}, all, 1, registry());
  CHECK(unresolved.kind == VerdictKind::non_conforming);
  CHECK(contains(unresolved.reasons, "unresolved: s.must"));

  pep3156::Capabilities embedded = all;
  embedded.embedded = true;
  CHECK(
      decide_verdict({a_run(must, Outcome::pass), a_run(life, Outcome::unsupported)}, embedded, 2, registry())
          .kind == VerdictKind::partially_conforming);

  auto filtered = decide_verdict({a_run(must, Outcome::pass)}, pep3156::Capabilities{}, 5, registry());
  CHECK(contains(filtered.reasons, "1 of the kit's 5 cases"));
  CHECK(contains(filtered.reasons, "not declared: io,pipes,signals"));
}

TEST_CASE("expectations: the gate is green only when every deviation is predicted") {
  std::string file = temporary_file(R"({"adapter": "uv", "expectations": {
      "s.fails": {"outcome": "FAIL", "reason": "known bug"},
      "s.passes": {"outcome": "FAIL", "reason": "fixed since"},
      "s.crashes": {"outcome": "FAIL", "reason": "was a failure"},
      "s.gone": {"outcome": "TIMEOUT", "reason": "case removed"}}})");
  const AdapterInfo uv{"uv", "", "/x/libloopcert_uv_adapter.so", {}};
  Expectations expectations = load_expectations(file, uv);
  // Another adapter's file never gates this one.
  CHECK_THROWS_WITH_AS(
      load_expectations(file, AdapterInfo{"epoll", "", "/x/libloopcert_uv_adapter.so", {}}),
      doctest::Contains("is for the adapter 'uv', not for 'epoll' (loopcert_uv_adapter/epoll)"),
      std::runtime_error);
  std::remove(file.c_str());
  // A file may name the loop by its label, or every loop of its library,
  // and may name several.
  const AdapterInfo ev_poll{"poll", "", "/x/libloopcert_libev_adapter.so", {}};
  for (const char* named : {R"("loopcert_libev_adapter/poll")", R"(["epoll", "loopcert_libev_adapter/*"])",
                            R"(["select", "poll"])"}) {
    std::string listed = temporary_file(std::string(R"({"adapter": )") + named + R"(, "expectations": {}})");
    CHECK_NOTHROW(load_expectations(listed, ev_poll));
    std::remove(listed.c_str());
  }
  std::string other_library = temporary_file(
      R"({"adapter": ["loopcert_libevent_adapter/*", "loopcert_libev_adapter/epoll"], "expectations": {}})");
  CHECK_THROWS_WITH_AS(load_expectations(other_library, ev_poll),
                       doctest::Contains("'loopcert_libevent_adapter/*', 'loopcert_libev_adapter/epoll'"),
                       std::runtime_error);
  std::remove(other_library.c_str());
  auto fails = a_case("s.fails", CaseSpec{"R-MUST"});
  auto passes = a_case("s.passes", CaseSpec{"R-MUST"});
  auto crashes = a_case("s.crashes", CaseSpec{"R-MUST"});
  auto surprise = a_case("s.surprise", CaseSpec{"R-MUST"});
  std::vector<CaseRun> runs{a_run(fails, Outcome::fail), a_run(passes, Outcome::pass),
                            a_run(crashes, Outcome::crash), a_run(surprise, Outcome::fail)};
  Gate gate = apply_expectations(expectations, runs, {"s.fails", "s.passes", "s.crashes", "s.surprise"});
  CHECK_FALSE(gate.green);
  CHECK(contains(gate.problems, "unexpected pass: s.passes"));
  CHECK(contains(gate.problems, "outcome differs: s.crashes expected FAIL, got CRASH"));
  CHECK(contains(gate.problems, "unexpected FAIL: s.surprise"));
  CHECK(contains(gate.problems, "stale expectation: the kit has no case s.gone"));
  CHECK_FALSE(contains(gate.problems, "s.fails"));
  CHECK(runs[0].expected->reason == "known bug");

  std::vector<CaseRun> only_expected{a_run(fails, Outcome::fail)};
  Expectations one{{"s.fails", Expectation{Outcome::fail, "known bug"}}};
  CHECK(apply_expectations(one, only_expected, {"s.fails"}).green);

  std::string bad =
      temporary_file(R"({"adapter": "uv", "expectations": {"s.x": {"outcome": "PASS", "reason": "no"}}})");
  CHECK_THROWS_AS(load_expectations(bad, uv), std::runtime_error);
  std::remove(bad.c_str());
  std::string unnamed = temporary_file(R"({"expectations": {}})");
  CHECK_THROWS_WITH_AS(load_expectations(unnamed, uv), doctest::Contains("adapter"), std::runtime_error);
  std::remove(unnamed.c_str());
}

TEST_CASE("lint: every rule, and the allow-uncovered list that may only shrink") {
  std::vector<CaseInfo> cases{
      a_case("s.ok", CaseSpec{"R-MUST"}),
      a_case("s.ok", CaseSpec{"R-MUST-2"}),
      a_case("Bad-ID", CaseSpec{"R-MUST"}),
      a_case("s.unknown", CaseSpec{"NO-SUCH"}),
      a_case("s.may_only", CaseSpec{"R-MAY"}),
      a_case("s.tolerance", CaseSpec{"R-MAY"}.tolerance()),
      a_case("s.bad_tolerance", CaseSpec{"R-MUST"}.tolerance()),
      a_case("s.untestable", CaseSpec{"NT-X"}),
      a_case("s.draft", CaseSpec{"DRAFT-X"}),
      a_case("s.extra", CaseSpec{"X-MUST"}),
      a_case("s.none", CaseSpec{}),
      a_case("s.extension", CaseSpec{"R-MUST"}.extension("D-ERR-6")),
      a_case("s.bad_extension", CaseSpec{"R-MUST"}.extension("asyncio")),
  };
  auto problems = lint_cases(cases, registry(), std::nullopt);
  CHECK_FALSE(contains(problems, "case s.extension:"));
  CHECK(contains(problems, "case s.bad_extension: .extension(\"asyncio\") names no decision"));
  CHECK(contains(problems, "duplicate case ID"));
  CHECK(contains(problems, "case Bad-ID: the ID must be dotted lower-case"));
  CHECK(contains(problems, "unknown clause NO-SUCH"));
  CHECK(contains(problems, "case s.may_only: names only MAY clauses"));
  CHECK_FALSE(contains(problems, "case s.tolerance:"));
  CHECK(contains(problems, "case s.bad_tolerance: is marked .tolerance() but names no MAY clause"));
  CHECK(contains(problems, "NT-X is normative but not testable"));
  CHECK(contains(problems, "DRAFT-X is in the seed draft only"));
  CHECK(contains(problems, "X-MUST is outside loop conformance"));
  CHECK(contains(problems, "case s.none: names no clause"));
  // Uncovered MUST clauses, but never a "caller" obligation or an extra one.
  CHECK(contains(problems, "MUST clause E-MUST has no case"));
  CHECK(contains(problems, "MUST clause IO-MUST has no case"));
  CHECK_FALSE(contains(problems, "CALLER-MUST"));
  CHECK(uncovered_must_clauses(cases, registry()) == std::vector<std::string>{"E-MUST", "IO-MUST"});

  std::vector<CaseInfo> good{a_case("s.a", CaseSpec{"R-MUST", "R-MUST-2"}),
                             a_case("s.b", CaseSpec{"E-MUST"})};
  CHECK(lint_cases(good, registry(), std::set<std::string>{"IO-MUST"}).empty());
  auto stale = lint_cases(good, registry(), std::set<std::string>{"IO-MUST", "E-MUST", "R-SHOULD"});
  CHECK(contains(stale, "E-MUST is covered now (by s.b); delete it"));
  CHECK(contains(stale, "R-SHOULD is not a MUST clause"));
  CHECK(uncovered_list_text({"IO-MUST"}).find("\nIO-MUST\n") != std::string::npos);
}

TEST_CASE("lint: two cases with the same body, whatever their comments and layout") {
  const std::string source = R"cpp(#define LOOPCERT_CASE(id, spec) unused
                                   LOOPCERT_CASE("s.first", clauses("R-MUST")) {
                                     auto loop = ctx.new_loop();  // a comment
                                     CHECK_THAT(f("}"), "a brace in a string");
                                   }

                                   LOOPCERT_CASE("s.second", clauses("R-MUST-2")) {
                                     /* another comment { */
                                     auto loop = ctx.new_loop();
                                     CHECK_THAT(f("}"), "a brace in a string");
                                   }

                                   LOOPCERT_CASE("s.third", clauses("R-MUST")) {
                                     char c = '{';  // LOOPCERT_CASE("s.in_a_comment", x) {}
                                     CHECK_THAT(f(")}"), "a brace in a string");
                                     int n = 1'000;
                                   }

                                   LOOPCERT_CASE("s.fourth", clauses("R-MUST")) {
                                     char c = '{';
                                     CHECK_THAT(f(")}"), "another message");
                                     int n = 1'000;
                                   }
  )cpp";
  auto bodies = case_bodies(source, "x.cpp");
  REQUIRE(bodies.size() == 4);
  CHECK(bodies[0].id == "s.first");
  CHECK(bodies[0].where == "x.cpp:2");
  CHECK(bodies[1].where == "x.cpp:7");
  CHECK(bodies[2].text.find("int n = 1'000;") != std::string::npos);
  CHECK(bodies[3].id == "s.fourth");

  std::vector<CaseInfo> cases{a_case("s.first", CaseSpec{"R-MUST"}), a_case("s.second", CaseSpec{"R-MUST"}),
                              a_case("s.third", CaseSpec{"R-MUST"}), a_case("s.fourth", CaseSpec{"R-MUST"}),
                              a_case("s.elsewhere", CaseSpec{"R-MUST"})};
  auto problems = lint_case_bodies(cases, bodies);
  CHECK(contains(problems, "x.cpp:7: case s.second has the same body as case s.first (x.cpp:2)"));
  CHECK_FALSE(contains(problems, "case s.third has the same body"));
  CHECK_FALSE(contains(problems, "case s.fourth has the same body"));
  CHECK(contains(problems, "case s.elsewhere: its body is not in the sources"));
  CHECK(problems.size() == 2);

  CHECK_THROWS_AS(case_bodies("LOOPCERT_CASE(\"s.open\", clauses(\"R-MUST\")) {\n  f(\"}\");\n", "y.cpp"),
                  std::runtime_error);
}

TEST_CASE("coverage: a Markdown table, clause by clause") {
  std::vector<CaseInfo> cases{a_case("s.b", CaseSpec{"R-MUST"}), a_case("s.a", CaseSpec{"R-MUST", "R-MAY"})};
  std::string md = coverage_markdown(cases, registry());
  CHECK(md.find("| CB | `R-MUST` | MUST | required | `s.a`<br>`s.b` |") != std::string::npos);
  CHECK(md.find("| CB | `R-MUST-2` | MUST | required | **none** |") != std::string::npos);
  CHECK(md.find("| SOCK | `CALLER-MUST` | MUST (caller) | required | none |") != std::string::npos);
  CHECK(md.find("X-MUST") == std::string::npos);
  CHECK(md.find("| required | 1 of 2 |") != std::string::npos);
}

namespace {
json report_with(const std::string& status, std::int64_t p99, bool clause_covered) {
  json test{{"name", "s.a"}, {"status", status}, {"rawStatus", status == "passed" ? "PASS" : "FAIL"}};
  if (status != "passed") test["message"] = "broke";
  json clauses = json::object();
  if (clause_covered) clauses["R-MUST"] = {{"status", status}, {"cases", {"s.a"}}};
  return {{"results",
           {{"tests", {test}},
            {"extra",
             {{"loopcert",
               {{"verdict", status == "passed" ? "conforming" : "non-conforming"},
                {"clauses", clauses},
                {"latency", {{"call_soon_dispatch", {{"p50", 100}, {"p99", p99}}}}}}}}}}}};
}
}  // namespace

TEST_CASE("compare: regressions in cases, clause coverage and latency; improvements are not") {
  auto same = compare_reports(report_with("passed", 300, true), report_with("passed", 300, true), 1.5);
  CHECK(same.regressions.empty());
  CHECK(same.other_changes.empty());

  auto broken = compare_reports(report_with("passed", 300, true), report_with("failed", 300, true), 1.5);
  CHECK(contains(broken.regressions, "case s.a passed before, now FAIL: broke"));
  CHECK(contains(broken.regressions, "verdict: conforming -> non-conforming"));

  auto fixed = compare_reports(report_with("failed", 300, true), report_with("passed", 300, true), 1.5);
  CHECK(fixed.regressions.empty());
  CHECK(contains(fixed.other_changes, "case s.a was FAIL, passes now"));

  auto uncovered = compare_reports(report_with("passed", 300, true), report_with("passed", 300, false), 1.5);
  CHECK(contains(uncovered.regressions, "clause R-MUST lost its coverage"));

  auto slower = compare_reports(report_with("passed", 300, true), report_with("passed", 600, true), 1.5);
  CHECK(contains(slower.regressions,
                 "latency call_soon_dispatch p99: 300ns -> 600ns (x2.00), past the threshold of x1.50"));
  CHECK(compare_reports(report_with("passed", 300, true), report_with("passed", 600, true), 2.5)
            .regressions.empty());
}

TEST_CASE("reports: JUnit escapes and drops what XML cannot carry") {
  CHECK(xml_escape("a<b>&\"c'\x01\x1b[0m\t") == "a&lt;b&gt;&amp;&quot;c&apos;[0m\t");
  // Valid UTF-8 passes through; what is not becomes U+FFFD, byte by byte.
  CHECK(xml_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") ==
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  const std::string replacement = "\xEF\xBF\xBD";
  CHECK(xml_escape("a\xff") == "a" + replacement);
  CHECK(xml_escape("\xc3") == replacement);                                      // cut short
  CHECK(xml_escape("\xc0\xaf") == replacement + replacement);                    // overlong '/'
  CHECK(xml_escape("\xed\xa0\x80") == replacement + replacement + replacement);  // a surrogate
  CHECK(xml_escape("\xef\xbf\xbe") == replacement + replacement + replacement);  // U+FFFE
  CHECK(ctrf_status(Outcome::quality_warning) == "passed");
  CHECK(ctrf_status(Outcome::timeout) == "failed");
  CHECK(ctrf_status(Outcome::unsupported) == "skipped");
  CHECK(ctrf_status(Outcome::unresolved) == "other");
  CHECK(iso8601_utc(0) == "1970-01-01T00:00:00Z");
}

namespace {
/// A fresh directory, removed with everything in it when the test ends.
struct ScratchDirectory {
  std::filesystem::path path;
  ScratchDirectory() {
    char name[] = "/tmp/loopcert-unit-dir-XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
  }
  ~ScratchDirectory() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& leaf) const { return (path / leaf).string(); }
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(path), {}));
  }
};

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
}  // namespace

TEST_CASE("report files: a regular file is replaced, and nothing is left beside it") {
  ScratchDirectory dir;
  std::string report = dir / "report.json";
  write_report_file(report, "first\n");
  write_report_file(report, "second\n");
  CHECK(read_text(report) == "second\n");
  CHECK(dir.entries() == 1);
  CHECK_NOTHROW(check_report_path(report));
  CHECK_NOTHROW(check_report_path(dir / "not-yet.json"));
  CHECK(dir.entries() == 1);
}

TEST_CASE("report files: a FIFO, a symlink or a directory is refused, never replaced") {
  ScratchDirectory dir;
  std::string fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string target = dir / "target";
  std::ofstream(target) << "kept";
  std::string link = dir / "link";
  std::filesystem::create_symlink(target, link);
  std::string directory = dir / "directory";
  std::filesystem::create_directory(directory);

  for (const auto& [path, kind] :
       {std::pair{fifo, "a FIFO"}, std::pair{link, "a symbolic link"}, std::pair{directory, "a directory"}}) {
    CAPTURE(path);
    CHECK_THROWS_WITH_AS(check_report_path(path), doctest::Contains(kind), std::runtime_error);
    CHECK_THROWS_WITH_AS(write_report_file(path, "report"), doctest::Contains(kind), std::runtime_error);
  }
  CHECK(std::filesystem::is_fifo(fifo));
  CHECK(std::filesystem::is_symlink(link));
  CHECK(read_text(target) == "kept");
  CHECK(std::filesystem::is_directory(directory));
  CHECK(dir.entries() == 4);  // no temporary file beside any of them
  CHECK_THROWS_WITH_AS(check_report_path("/dev/null"), doctest::Contains("a device"), std::runtime_error);
}

TEST_CASE("report files: a directory that does not exist or takes no file is found before the run") {
  ScratchDirectory dir;
  CHECK_THROWS_AS(check_report_path(dir / "missing/report.json"), std::runtime_error);
  if (::geteuid() != 0) {  // root writes anywhere
    std::filesystem::permissions(dir.path,
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    CHECK_THROWS_WITH_AS(check_report_path(dir / "report.json"), doctest::Contains("Permission denied"),
                         std::runtime_error);
    std::filesystem::permissions(dir.path, std::filesystem::perms::owner_all);
  }
  CHECK(same_report_path(dir / "a/../x.json", dir / "x.json"));
  CHECK_FALSE(same_report_path(dir / "x.json", dir / "y.json"));
}

TEST_CASE("fd table: a descriptor opened between two snapshots is named") {
  FdTable before = snapshot_fds();
  int fd = ::dup(0);
  REQUIRE(fd >= 0);
  std::string leaked = describe_new_fds(before, snapshot_fds());
  ::close(fd);
  CHECK(leaked.find(std::to_string(fd) + " (") == 0);
  CHECK(describe_new_fds(before, snapshot_fds()).empty());
  // An inherited descriptor whose file was deleted meanwhile is no new one.
  CHECK(describe_new_fds({{3, "/tmp/log.tmp"}}, {{3, "/tmp/log.tmp (deleted)"}}).empty());
  CHECK(describe_new_fds({{3, "/tmp/log.tmp"}}, {{3, "/tmp/other"}}) == "3 (/tmp/other)");
}

TEST_CASE("options: bad command lines are usage errors") {
  auto parse = [](std::vector<std::string> words) {
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    return parse_options(static_cast<int>(argv.size()), argv.data());
  };
  CHECK(parse({"loopcert", "--adapter", "x.so", "-j3", "--case", "a.*"}).jobs == 3);
  CHECK(parse({"loopcert", "compare", "a", "b"}).positional.size() == 2);
  CHECK(parse({"loopcert", "--timeout", "8"}).watchdog() == 4);
  CHECK(parse({"loopcert", "--timeout", "60"}).watchdog() == 10);
  CHECK_THROWS_AS(parse({"loopcert", "--frobnicate"}), UsageError);
  CHECK_THROWS_AS(parse({"loopcert", "--timeout", "soon"}), UsageError);
  CHECK_THROWS_AS(parse({"loopcert", "-j", "0"}), UsageError);
  CHECK_THROWS_AS(parse({"loopcert", "--jobs", "2x"}), UsageError);
  CHECK_THROWS_AS(parse({"loopcert", "-j2x"}), UsageError);
  CHECK_THROWS_AS(parse({"loopcert", "-j", "99999999999"}), UsageError);
  CHECK_THROWS_AS(parse({"loopcert", "--timeout", "inf"}), UsageError);
  CHECK_THROWS_AS(parse({"loopcert", "--timeout", "1e10"}), UsageError);
  CHECK_THROWS_AS(parse({"loopcert", "--timeout", "nan"}), UsageError);
  CHECK(parse({"loopcert", "--timeout", "86400"}).timeout_seconds == 86400);
  CHECK_THROWS_WITH_AS(parse({"loopcert", "--timeout", "5", "--watchdog", "6"}),
                       doctest::Contains("--watchdog must not be longer than --timeout"), UsageError);
  CHECK(parse({"loopcert", "--timeout", "5", "--watchdog", "5"}).watchdog() == 5);
  CHECK_THROWS_AS(parse({"loopcert", "--budget", "call_soon_dispach.p99=1us"}), UsageError);
  CHECK_THROWS_AS(parse({"loopcert", "--budget-file", "/tmp"}), UsageError);
  CHECK_THROWS_AS(parse({"loopcert", "compare", "only-one"}), UsageError);
  CHECK_THROWS_AS(parse({"loopcert", "--budget", "bad"}), UsageError);
  CHECK_THROWS_AS(parse({"loopcert", "--adapter"}), UsageError);
  CHECK_THROWS_WITH_AS(parse({"loopcert", "--report", "r.x", "--junit", "./r.x"}),
                       doctest::Contains("name the same file"), UsageError);
}

TEST_CASE("categories: each case of the kit has its PEP category, by the first rule that matches") {
  CHECK(pep_category_of("callbacks.call_soon.fifo_order") == "core");
  CHECK(pep_category_of("tier.required.callbacks_threads_errors_and_debug") == "core");
  CHECK(pep_category_of("tier.required.connection_methods") == "networking");
  CHECK(pep_category_of("tier.required.name_lookups") == "names");
  CHECK(pep_category_of("connections.ssl.true_starts_tls") == "tls");
  CHECK(pep_category_of("protocols.eof_received.tls_return_value_ignored") == "tls");
  CHECK(pep_category_of("connections.happy_path") == "networking");
  CHECK(pep_category_of("subprocesses.exec.arguments_are_argv") == "pipes");
  CHECK(pep_category_of("latency.io_readiness") == "io");
  CHECK(pep_category_of("coroutines.gather.results") == "futures");
  // Every category some case of the kit falls in is one the reports name,
  // and every category but core gets at least one case by a rule of its own.
  std::set<std::string_view> seen;
  for (const CaseMeta& meta : select_cases(Options{}, Registry::embedded()))
    seen.insert(pep_category_of(meta.info->id));
  for (std::string_view name : pep_category_names()) CHECK_MESSAGE(seen.count(name) == 1, name);
}

TEST_CASE("categories: conforming, not implemented, failing (N of M) and unsupported") {
  auto core = a_case("callbacks.a", CaseSpec{"R-MUST"});
  auto core_advisory = a_case("callbacks.b", CaseSpec{"R-SHOULD"});
  auto net_a = a_case("connections.a", CaseSpec{"R-MUST"});
  auto net_b = a_case("servers.b", CaseSpec{"R-MUST"});
  auto net_advisory = a_case("servers.c", CaseSpec{"R-SHOULD"});
  auto tls = a_case("connections.ssl.a", CaseSpec{"R-MUST"});
  auto tls_b = a_case("connections.ssl.b", CaseSpec{"R-MUST"});
  auto io = a_case("io.a", CaseSpec{"IO-MUST"});
  auto not_implemented = [](CaseRun run) {
    run.not_implemented = true;
    return run;
  };
  std::vector<CaseRun> runs{a_run(core, Outcome::pass),
                            a_run(core_advisory, Outcome::fail),
                            not_implemented(a_run(net_a, Outcome::fail)),
                            not_implemented(a_run(net_b, Outcome::fail)),
                            a_run(net_advisory, Outcome::pass),  // advisory: as for the verdict, not counted
                            not_implemented(a_run(tls, Outcome::fail)),
                            a_run(tls_b, Outcome::timeout),
                            a_run(io, Outcome::unsupported)};
  std::vector<CategoryResult> results = category_results(runs);
  REQUIRE(results.size() == 4);
  // In display order: core first.
  CHECK(results[0].name == "core");
  CHECK(results[0].standing == Standing::conforming);  // the advisory failure does not count...
  CHECK(results[0].advisory == 1);                     // ...but is told
  CHECK(describe(results[0]) == "conforming");
  CHECK(results[1].name == "tls");
  CHECK(results[1].standing == Standing::failing);  // one NotImplementedError is not all of them
  CHECK(describe(results[1]) == "failing (2 of 2)");
  CHECK(results[2].name == "networking");
  CHECK(results[2].standing == Standing::not_implemented);
  CHECK(describe(results[2]) == "not implemented");
  CHECK(results[3].name == "io");
  CHECK(results[3].standing == Standing::unsupported);
  CHECK(results[3].reason == "why");

  RunRecord record;
  record.registry = &registry();
  record.adapter.name = "x";
  record.runs = runs;
  record.cases_in_kit = runs.size();
  record.categories = results;
  json report = ctrf_report(record);
  const json& categories = report["results"]["extra"]["loopcert"]["categories"];
  CHECK(categories["networking"]["status"] == "not-implemented");
  CHECK(categories["tls"]["summary"] == "failing (2 of 2)");
  CHECK(categories["io"]["reason"] == "why");
  CHECK(report["results"]["tests"][2]["extra"]["notImplemented"] == true);
  CHECK_FALSE(report["results"]["tests"][4]["extra"].contains("notImplemented"));
  CHECK(report["results"]["tests"][2]["extra"]["category"] == "networking");
  CHECK(report["results"]["extra"]["loopcert"]["host"]["ipv6Loopback"] == false);
}

TEST_CASE("host: the probe answers, and agrees with binding [::1] by hand") {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  bool bound = fd >= 0 && ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  if (fd >= 0) ::close(fd);
  CHECK(probe_host().ipv6_loopback == bound);
}

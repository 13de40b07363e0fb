// The kit's self-test: loopcert against every mutant (mutant.hpp), each held
// to what it expects, and against the base loop itself.
//
// ctest provides, in the environment: LOOPCERT (the executable),
// LOOPCERT_MUTANTS (libloopcert_mutants.so), LOOPCERT_MUTANT_BASE[_LOOP]
// (the correct loop the mutants wrap) and, optionally,
// LOOPCERT_MUTANT_BASE_EXPECTATIONS (that loop's known deviations).
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "mutant.hpp"

namespace conformance::selftest {
namespace {

using nlohmann::json;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string scratch(const std::string& leaf) {
  return (env("TMPDIR").empty() ? std::string("/tmp") : env("TMPDIR")) + "/loopcert-selftest-" +
         std::to_string(::getpid()) + "-" + leaf;
}

struct Run {
  int status = -1;
  std::string output;
  json report;

  /// Every case's raw outcome, by case ID (a test's name also says which
  /// loop it ran on, and the mutants are other loops than the base).
  std::map<std::string, std::string> outcomes() const {
    std::map<std::string, std::string> by_id;
    for (const auto& t : report["results"]["tests"]) by_id[t["extra"]["caseId"]] = t["rawStatus"];
    return by_id;
  }
  /// The cases naming `clause`.
  std::vector<json> cases_of(const std::string& clause) const {
    std::vector<json> found;
    for (const auto& t : report["results"]["tests"]) {
      for (const auto& tag : t["tags"]) {
        if (tag == clause) found.push_back(t);
      }
    }
    return found;
  }
};

/// Runs loopcert with `args` against `adapter` (loop `loop`); reads its
/// report back.
Run loopcert(const std::string& adapter, const std::string& loop, const std::string& args) {
  std::string report = scratch(loop + ".json");
  std::string out = scratch(loop + ".out");
  std::string command = "'" + env("LOOPCERT") + "' --adapter '" + adapter + "' --loop '" + loop +
                        "' -j2 --report '" + report + "' " + args + " > '" + out + "' 2>&1";
  Run run;
  int raw = std::system(command.c_str());
  run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::ifstream output(out);
  std::stringstream text;
  text << output.rdbuf();
  run.output = text.str();
  std::ifstream in(report);
  if (in) run.report = json::parse(in);
  std::remove(report.c_str());
  std::remove(out.c_str());
  return run;
}

Run mutant(const Mutant& m, const std::string& args) {
  return loopcert(env("LOOPCERT_MUTANTS"), m.name, args);
}

/// LOOPCERT_MUTANT_BASE_LOOP, or else the base library's first loop (the
/// one the mutants library picks too).
std::string base_loop() {
  if (!env("LOOPCERT_MUTANT_BASE_LOOP").empty()) return env("LOOPCERT_MUTANT_BASE_LOOP");
  std::string listing = scratch("loops");
  std::string command = "'" + env("LOOPCERT") + "' --adapter '" + env("LOOPCERT_MUTANT_BASE") +
                        "' --list-loops > '" + listing + "'";
  REQUIRE(std::system(command.c_str()) == 0);
  std::ifstream in(listing);
  std::string first;
  std::getline(in, first, '\t');
  std::remove(listing.c_str());
  return first;
}

/// The base loop's own results, run once.
const Run& base_run() {
  static const Run run = [] {
    std::string args = "--watchdog 10";
    if (!env("LOOPCERT_MUTANT_BASE_EXPECTATIONS").empty()) {
      args += " --expectations '" + env("LOOPCERT_MUTANT_BASE_EXPECTATIONS") + "'";
    }
    return loopcert(env("LOOPCERT_MUTANT_BASE"), base_loop(), args);
  }();
  return run;
}

std::vector<const Mutant*> expecting(Expect expect) {
  std::vector<const Mutant*> found;
  for (const Mutant& m : mutants()) {
    if (m.expect == expect) found.push_back(&m);
  }
  return found;
}

bool passed(const std::string& outcome) { return outcome == "PASS" || outcome == "QUALITY_WARNING"; }

}  // namespace

TEST_CASE("the environment names loopcert, the mutants and their base") {
  REQUIRE_FALSE(env("LOOPCERT").empty());
  REQUIRE_FALSE(env("LOOPCERT_MUTANTS").empty());
  REQUIRE_FALSE(env("LOOPCERT_MUTANT_BASE").empty());
}

TEST_CASE("the base loop passes the kit (or meets its expectations)") {
  const Run& run = base_run();
  INFO(run.output);
  CHECK(run.status == 0);
  CHECK_FALSE(run.report.is_null());
}

TEST_CASE("each mutant that breaks a clause is caught by that clause's cases") {
  for (const Mutant* m : expecting(Expect::caught)) {
    SUBCASE(m->name.c_str()) {
      Run run = mutant(*m, "--clause " + m->clause + " --watchdog 2 --timeout 20");
      INFO(m->name << " breaks " << m->clause << ":\n" << run.output);
      auto cases = run.cases_of(m->clause);
      REQUIRE_FALSE(cases.empty());
      bool all_unsupported = true;
      bool any_failed = false;
      bool any_decisive_failed = false;  // a failed case that is not advisory
      for (const auto& c : cases) {
        all_unsupported &= c["rawStatus"] == "UNSUPPORTED";
        any_failed |= c["status"] == "failed";
        any_decisive_failed |= c["status"] == "failed" && !c["extra"]["advisory"].get<bool>();
      }
      if (all_unsupported) {
        MESSAGE(m->name << ": the base loop does not declare what " << m->clause << " needs; not run");
        continue;
      }
      CHECK(any_failed);
      const json& clause = run.report["results"]["extra"]["loopcert"]["clauses"][m->clause];
      CHECK(clause["status"] == "failed");
      // A SHOULD clause's cases, and extension cases, are advisory: caught as
      // a warning, while the verdict (and the exit status) stays conforming.
      CHECK(run.status == (any_decisive_failed ? 1 : 0));
    }
  }
}

TEST_CASE("a mutant doing what the PEP allows passes every case the base loop passes") {
  REQUIRE_FALSE(base_run().report.is_null());
  auto base = base_run().outcomes();
  REQUIRE_FALSE(base.empty());
  for (const Mutant* m : expecting(Expect::tolerated)) {
    SUBCASE(m->name.c_str()) {
      Run run = mutant(*m, "--watchdog 10");
      auto outcomes = run.outcomes();
      for (const auto& [name, outcome] : base) {
        if (!passed(outcome)) continue;
        INFO(m->name << ": " << name << "\n" << run.output);
        CHECK(passed(outcomes[name]));
      }
    }
  }
}

TEST_CASE("an embedded loop: its lifecycle cases are skipped, and it is partially conforming") {
  auto base = base_run().outcomes();
  for (const Mutant* m : expecting(Expect::partial)) {
    Run run = mutant(*m, "--watchdog 10");
    INFO(run.output);
    CHECK(run.report["results"]["extra"]["loopcert"]["verdict"] == "partially-conforming");
    CHECK(run.status == 0);
    const json& clauses = run.report["results"]["extra"]["loopcert"]["clauses"];
    for (const auto& test : run.report["results"]["tests"]) {
      std::string id = test["extra"]["caseId"];
      // A case naming any start/stop/close clause is skipped, whatever the
      // tier its other clauses give it (an io case that runs the loop).
      bool lifecycle = std::any_of(test["tags"].begin(), test["tags"].end(), [&](const json& clause) {
        return clauses[clause.get<std::string>()]["tier"] == "required-except-embedded";
      });
      if (lifecycle) {
        CHECK_MESSAGE(test["rawStatus"] == "UNSUPPORTED", id);
      } else if (passed(base[id])) {
        // A case checking what close() releases has nothing to check on a
        // loop that leaves close() unimplemented (decision D-LIFE-6).
        bool close_unimplemented =
            test["rawStatus"] == "UNSUPPORTED" &&
            test.value("message", "").find("leaves close() unimplemented") != std::string::npos;
        CHECK_MESSAGE((passed(test["rawStatus"]) || close_unimplemented), id);
      }
    }
  }
}

TEST_CASE("a loop that crashes: every case it runs is CRASH, and the run goes on") {
  for (const Mutant* m : expecting(Expect::crash)) {
    Run run = mutant(*m, "--category callbacks");
    INFO(run.output);
    auto outcomes = run.outcomes();
    REQUIRE(outcomes.size() >= 3);
    for (const auto& [name, outcome] : outcomes) CHECK_MESSAGE(outcome == "CRASH", name);
    CHECK(run.status == 1);
  }
}

TEST_CASE("a loop that hangs where no watchdog waits: TIMEOUT by the hard timeout") {
  for (const Mutant* m : expecting(Expect::timeout)) {
    Run killed = mutant(*m, "--case lifecycle.stop.returns_normally --timeout 2");
    INFO(killed.output);
    CHECK(killed.outcomes()["lifecycle.stop.returns_normally"] == "TIMEOUT");
    CHECK(killed.status == 1);
  }
}

TEST_CASE("a loop that hangs while the case waits for it: FAIL by the watchdog, saying what it waited for") {
  for (const Mutant* m : expecting(Expect::watchdog)) {
    Run watched = mutant(*m, "--case lifecycle.stop.returns_normally --timeout 30 --watchdog 1");
    INFO(watched.output);
    const json& test = watched.report["results"]["tests"][0];
    CHECK(test["rawStatus"] == "FAIL");
    CHECK(test["message"].get<std::string>().find("did not return within") != std::string::npos);
  }
}

TEST_CASE("a loop that leaks a descriptor: FAIL naming it") {
  for (const Mutant* m : expecting(Expect::leak)) {
    Run run = mutant(*m, "--case callbacks.call_soon.fifo_order");
    INFO(run.output);
    const json& test = run.report["results"]["tests"][0];
    CHECK(test["rawStatus"] == "FAIL");
    CHECK(test["message"].get<std::string>().find("leaked fds: ") != std::string::npos);
    CHECK(test["message"].get<std::string>().find("/dev/null") != std::string::npos);
  }
}

}  // namespace conformance::selftest

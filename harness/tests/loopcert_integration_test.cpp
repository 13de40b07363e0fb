// loopcert end to end: the executable against TestLoop's adapter, its
// reports, its exit statuses and its errors.
//
// ctest provides, in the environment: LOOPCERT, LOOPCERT_STATIC (a binary
// using the static route), LOOPCERT_TESTLOOP, LOOPCERT_MUTANTS,
// LOOPCERT_WRONG_VERSION, LOOPCERT_PROCESS_RESOURCE, LOOPCERT_NOT_ADAPTER and
// LOOPCERT_REFERENCE (adapter libraries; the last, the reference loop's, for
// --runner), LOOPCERT_SOURCE_DIR.
//
// TestLoop passes every case that applies to it, except perhaps one: its
// virtual clock fails the real-time timer case, unless the machine is so
// busy that real time passes anyway. Deterministic failures come from the
// self-test's callsoon_lifo mutant over TestLoop.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <pep3156/adapter.hpp>
#include <sstream>
#include <string>

namespace {

using nlohmann::json;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  REQUIRE_MESSAGE(value != nullptr, name << " is not set");
  return value;
}

std::string scratch(const std::string& leaf) {
  return "/tmp/loopcert-integration-" + std::to_string(::getpid()) + "-" + leaf;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Result {
  int status;
  std::string out;
  std::string err;
};

/// Runs a shell command line; returns its exit status, stdout and stderr.
Result shell(const std::string& command) {
  std::string out = scratch("stdout");
  std::string err = scratch("stderr");
  int raw = std::system((command + " > '" + out + "' 2> '" + err + "'").c_str());
  Result r{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(out), slurp(err)};
  std::remove(out.c_str());
  std::remove(err.c_str());
  return r;
}

Result loopcert(const std::string& args) { return shell("'" + env("LOOPCERT") + "' " + args); }

std::string testloop() { return "--adapter '" + env("LOOPCERT_TESTLOOP") + "' "; }

/// The callsoon_lifo mutant over TestLoop: FIFO cases fail, every time.
std::string lifo() {
  return "LOOPCERT_MUTANT_BASE='" + env("LOOPCERT_TESTLOOP") + "' '" + env("LOOPCERT") + "' --adapter '" +
         env("LOOPCERT_MUTANTS") + "' --loop callsoon_lifo --category callbacks ";
}
std::string lifo_expectations() {
  return "--expectations '" + env("LOOPCERT_SOURCE_DIR") + "/harness/tests/expectations/callsoon_lifo.json' ";
}

json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return json::parse(in);
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a full run: a valid CTRF report, well-formed JUnit, and the verdict as the exit status") {
  std::string report = scratch("report.json");
  std::string junit = scratch("report.xml");
  Result run = loopcert(testloop() + "-j2 --report '" + report + "' --junit '" + junit + "'");
  INFO(run.out << run.err);
  json r = read_json(report);
  std::string verdict = r["results"]["extra"]["loopcert"]["verdict"];
  CHECK(run.status == (verdict == "conforming" ? 0 : 1));
  CHECK(has(run.out, "\nverdict: " + verdict + "\n"));
  CHECK(run.err.empty());  // no progress line off a terminal, nothing else either
  CHECK(r["results"]["extra"]["loopcert"]["adapter"]["name"] == "testloop");
  CHECK(r["results"]["summary"]["tests"].get<std::size_t>() == r["results"]["tests"].size());

  Result valid =
      shell("python3 '" + env("LOOPCERT_SOURCE_DIR") + "/tools/validate_report.py' '" + report + "'");
  INFO(valid.out << valid.err);
  CHECK(valid.status == 0);
  Result xml =
      shell("python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' '" + junit + "'");
  INFO(xml.err);
  CHECK(xml.status == 0);
  std::remove(report.c_str());
  std::remove(junit.c_str());
}

TEST_CASE("a failing loop: non-conforming, exit status 1, failures in both reports") {
  std::string report = scratch("lifo.json");
  std::string junit = scratch("lifo.xml");
  Result run = shell(lifo() + "--report '" + report + "' --junit '" + junit + "'");
  INFO(run.out << run.err);
  CHECK(run.status == 1);
  // The reason names the clause and its failed cases (more FIFO cases may
  // join the suite; these two are the first).
  CHECK(has(run.out, "LOOP-CALLSOON-FIFO (MUST, required) failed: callbacks.call_soon."));
  CHECK(has(run.out, "callbacks.call_soon.fifo_across_iterations, "));
  CHECK(has(run.out, "callbacks.call_soon.fifo_order"));
  CHECK(has(run.out, "\nverdict: non-conforming\n"));
  CHECK(shell("python3 '" + env("LOOPCERT_SOURCE_DIR") + "/tools/validate_report.py' '" + report + "'")
            .status == 0);
  std::string xml = slurp(junit);
  // The message starts with the failed check's file (relative to where it
  // was compiled: ccache may make it "../../conformance/...").
  CHECK(has(xml, "<failure type=\"FAIL\" message=\""));
  CHECK(has(xml, "conformance/cases/callbacks"));
  // Named with the loop they ran on, the ID a property of its own.
  CHECK(has(xml, "name=\"callbacks.call_soon.fifo_order [loopcert_mutants/callsoon_lifo]\""));
  CHECK(has(xml, "<property name=\"caseId\" value=\"callbacks.call_soon.fifo_order\"/>"));
  std::remove(report.c_str());
  std::remove(junit.c_str());
}

TEST_CASE("expectations keep the gate green without counting as passes") {
  std::string report = scratch("expected.json");
  Result run = shell(lifo() + lifo_expectations() + "--report '" + report + "'");
  INFO(run.out << run.err);
  CHECK(run.status == 0);
  CHECK(has(run.out, "expectations: every deviation was expected"));
  CHECK(has(run.out, "verdict: non-conforming"));  // still not conforming
  json r = read_json(report);
  for (const auto& test : r["results"]["tests"]) {
    if (test["extra"]["caseId"] == "callbacks.call_soon.fifo_order") {
      CHECK(test["name"] == "callbacks.call_soon.fifo_order [loopcert_mutants/callsoon_lifo]");
      CHECK(test["status"] == "failed");
      CHECK(test["extra"]["expected"]["outcome"] == "FAIL");
    }
  }
  std::remove(report.c_str());

  // The correct loop against the same file: it is another adapter's.
  Result other = loopcert(testloop() + "--category callbacks " + lifo_expectations());
  CHECK(other.status == 2);
  CHECK(has(other.err, "is for the adapter 'callsoon_lifo', not for 'testloop'"));

  // The same deviations expected of the correct loop: unexpected passes.
  json file = read_json(env("LOOPCERT_SOURCE_DIR") + "/harness/tests/expectations/callsoon_lifo.json");
  file["adapter"] = "testloop";
  std::string for_testloop = scratch("testloop.expect.json");
  std::ofstream(for_testloop) << file.dump();
  Result fixed = loopcert(testloop() + "--category callbacks --expectations '" + for_testloop + "'");
  std::remove(for_testloop.c_str());
  INFO(fixed.out);
  CHECK(fixed.status == 1);
  CHECK(has(fixed.out, "unexpected pass: callbacks.call_soon.fifo_order"));
  // A filter that leaves the expected failures out: nothing stale, green.
  CHECK(shell(lifo() + lifo_expectations() + "--case callbacks.serialized.no_overlap").status == 0);
}

TEST_CASE("a budget a probe exceeds makes it QUALITY_WARNING, never a failure") {
  std::string report = scratch("budget.json");
  Result run = loopcert(testloop() +
                        "--case latency.call_soon_dispatch --budget call_soon_dispatch.p50=1ns --report '" +
                        report + "'");
  INFO(run.out << run.err);
  CHECK(run.status == 0);
  json test = read_json(report)["results"]["tests"][0];
  CHECK(test["rawStatus"] == "QUALITY_WARNING");
  CHECK(test["status"] == "passed");
  CHECK(test["extra"]["latency"]["call_soon_dispatch"]["overBudget"] == true);
  std::remove(report.c_str());
}

TEST_CASE("the progress line goes to stderr, the summary to stdout") {
  Result run = loopcert(testloop() + "--progress --case 'callbacks.*'");
  CHECK(run.status == 0);
  CHECK(has(run.err, "] PASS callbacks.call_soon.fifo_order"));
  CHECK_FALSE(has(run.out, "] PASS"));
  CHECK(has(run.out, "verdict: conforming"));
}

TEST_CASE("usage and adapter-load errors exit with status 2 and say what is wrong") {
  Result missing = loopcert("--adapter /nonexistent/adapter.so");
  CHECK(missing.status == 2);
  CHECK(has(missing.err, "cannot load the adapter /nonexistent/adapter.so"));

  Result not_adapter = loopcert("--adapter '" + env("LOOPCERT_NOT_ADAPTER") + "'");
  CHECK(not_adapter.status == 2);
  CHECK(has(not_adapter.err, "does not export pep3156_adapters()"));

  Result wrong = loopcert("--adapter '" + env("LOOPCERT_WRONG_VERSION") + "'");
  CHECK(wrong.status == 2);
  CHECK(has(wrong.err, "was built against adapter contract version " +
                           std::to_string(pep3156::kAdapterContractVersion + 1) +
                           ", but this loopcert speaks version " +
                           std::to_string(pep3156::kAdapterContractVersion)));

  Result no_loop = loopcert(testloop() + "--loop nosuch");
  CHECK(no_loop.status == 2);
  CHECK(has(no_loop.err, "has no loop named 'nosuch'; it offers: testloop"));

  CHECK(loopcert(testloop() + "--case 'no.such.*'").status == 2);
  CHECK(loopcert(testloop() + "--tier sometimes").status == 2);
  CHECK(loopcert("--frobnicate").status == 2);
  CHECK(loopcert("").status == 2);

  Result loops = loopcert(testloop() + "--list-loops");
  CHECK(loops.status == 0);
  CHECK(has(loops.out, "testloop\t"));
}

TEST_CASE("--adapter NAME.so without a slash is the file in the current directory") {
  std::string library = env("LOOPCERT_TESTLOOP");
  auto slash = library.rfind('/');
  Result here = shell("cd '" + library.substr(0, slash) + "' && '" + env("LOOPCERT") + "' --adapter '" +
                      library.substr(slash + 1) + "' --case callbacks.call_soon.fifo_order");
  INFO(here.out << here.err);
  CHECK(here.status == 0);
  CHECK(has(here.out, "verdict: conforming"));
}

TEST_CASE("bad run settings are refused before any case runs") {
  std::string callbacks = testloop() + "--progress --case 'callbacks.call_soon.*' ";
  auto refused = [](const Result& r, const std::string& why) {
    INFO(r.out << r.err);
    CHECK(r.status == 2);
    CHECK(has(r.err, why));
    CHECK_FALSE(has(r.err, "] PASS"));  // no case ran
  };
  std::string junit = scratch("kept.xml");
  refused(loopcert(callbacks + "--junit '" + junit + "' --report /nonexistent-dir/r.json"),
          "cannot write the report /nonexistent-dir/r.json");
  CHECK_FALSE(std::ifstream(junit).good());
  refused(loopcert(callbacks + "--report /dev/null"), "cannot write the report /dev/null: it is a device");
  refused(loopcert(callbacks + "--report x.json --junit ./x.json"), "name the same file");
  refused(loopcert(callbacks + "--timeout inf"), "--timeout takes a positive number of seconds up to 86400");
  refused(loopcert(callbacks + "--timeout 5 --watchdog 10"), "--watchdog must not be longer than --timeout");
  // A watchdog longer than the default timeout is fine under a longer one,
  // in loopcert and in each case process.
  CHECK(loopcert(testloop() + "--case callbacks.call_soon.fifo_order --timeout 60 --watchdog 40").status ==
        0);
  refused(loopcert(callbacks + "--jobs 2x"), "--jobs takes a positive whole number, not '2x'");
  // Each running case holds descriptors: 64 of them leave room for 8.
  refused(shell("ulimit -n 64 && '" + env("LOOPCERT") + "' " + callbacks + "-j 9"),
          "--jobs 9 needs more descriptors than the limit (ulimit -n) allows: at most 8");
  Result at_the_cap = shell("ulimit -n 64 && '" + env("LOOPCERT") + "' " + callbacks + "-j 8");
  INFO(at_the_cap.out << at_the_cap.err);
  CHECK(at_the_cap.status == 0);
}

TEST_CASE("compare: no regression against itself; a case that stops passing is one") {
  std::string before = scratch("before.json");
  std::string after = scratch("after.json");
  REQUIRE(loopcert(testloop() + "--case 'callbacks.*' --report '" + before + "'").status == 0);
  REQUIRE(loopcert(testloop() + "--case 'callbacks.*' --report '" + after + "'").status == 0);
  Result same = loopcert("compare '" + before + "' '" + after + "' --latency-threshold 1000");
  INFO(same.out);
  CHECK(same.status == 0);
  CHECK(has(same.out, "compare: no regression"));

  json broken = read_json(after);
  json& test = broken["results"]["tests"][0];
  test["status"] = "failed";
  test["rawStatus"] = "FAIL";
  test["message"] = "made to fail";
  std::ofstream(after) << broken.dump();
  Result regressed = loopcert("compare '" + before + "' '" + after + "' --latency-threshold 1000");
  INFO(regressed.out);
  CHECK(regressed.status == 1);
  CHECK(has(regressed.out,
            "REGRESSION  case " + test["extra"]["caseId"].get<std::string>() + " passed before, now FAIL"));

  CHECK(loopcert("compare '" + before + "' /nonexistent.json").status == 2);
  std::remove(before.c_str());
  std::remove(after.c_str());
}

TEST_CASE("the static route: a binary linking the kit runs the same command line") {
  Result run = shell("'" + env("LOOPCERT_STATIC") + "' --case 'callbacks.*' -j2");
  INFO(run.out << run.err);
  CHECK(run.status == 0);
  CHECK(has(run.out, "loopcert 0.1.0: testloop"));
  CHECK(has(run.out, "verdict: conforming"));
  CHECK(shell("'" + env("LOOPCERT_STATIC") + "' --adapter x.so").status == 2);
}

TEST_CASE(
    "prepare_process: a descriptor a library keeps per process is not a leak; opened by make_loop(), it is") {
  std::string library =
      "--adapter '" + env("LOOPCERT_PROCESS_RESOURCE") + "' --case callbacks.call_soon.fifo_order ";
  Result prepared = loopcert(library + "--loop prepared");
  INFO(prepared.out << prepared.err);
  CHECK(prepared.status == 0);
  CHECK_FALSE(has(prepared.out, "leaked fds"));
  Result unprepared = loopcert(library + "--loop unprepared");
  INFO(unprepared.out << unprepared.err);
  CHECK(unprepared.status == 1);
  CHECK(has(unprepared.out, "leaked fds: "));
}

TEST_CASE(
    "the summary shows the host probe, and where the loop stands per category right above the verdict") {
  std::string report = scratch("categories.json");
  Result run = loopcert(testloop() + "--case 'callbacks.*' --case 'servers.*' --case 'io.*' --report '" +
                        report + "'");
  INFO(run.out << run.err);
  CHECK(run.status == 1);
  CHECK(has(run.out, "host: IPv6 loopback: "));
  // TestLoop has callbacks, no networking (NotImplementedError), and
  // declares no I/O callbacks. The servers' failures are one line.
  CHECK(has(run.out, "\n  core        conforming ("));
  CHECK(has(run.out, "\n  networking  not implemented ("));
  CHECK(
      has(run.out, "\n  io          unsupported (the loop does not declare io)\nverdict: non-conforming\n"));
  CHECK(has(run.out, "NOT IMPLEMENTED networking: "));
  CHECK_FALSE(has(run.out, "FAIL            servers."));
  json categories = read_json(report)["results"]["extra"]["loopcert"]["categories"];
  CHECK(categories["networking"]["status"] == "not-implemented");
  CHECK(categories["io"]["status"] == "unsupported");
  std::remove(report.c_str());
}

namespace {
/// caseId -> rawStatus, from a CTRF report.
std::map<std::string, std::string> outcomes(const std::string& report) {
  std::map<std::string, std::string> by_case;
  json tests = read_json(report)["results"]["tests"];
  for (const auto& test : tests) by_case[test["extra"]["caseId"]] = test["rawStatus"];
  return by_case;
}

/// A runner command that names TestLoop (--describe-loops) like a good one,
/// then misbehaves on every case as `per_case` (shell) does.
std::string misbehaving_runner(const std::string& per_case) {
  std::string script = scratch("runner.sh");
  std::ofstream(script) << "case \"$1\" in --describe-loops) exec '" << env("LOOPCERT") << "' --adapter '"
                        << env("LOOPCERT_TESTLOOP") << "' \"$@\";; esac\n"
                        << per_case << "\n";
  return "--runner 'sh " + script + "' ";
}
}  // namespace

TEST_CASE("through a runner command (--runner), the reference epoll loop gets the outcomes of a direct run") {
  std::string reference = "--adapter '" + env("LOOPCERT_REFERENCE") + "'";
  std::string filters = "--loop epoll -j2 --category callbacks --category io --report ";
  std::string direct = scratch("direct.json");
  std::string through = scratch("through.json");
  Result run_direct = loopcert(reference + " " + filters + "'" + direct + "'");
  // `env` starts the loopcert that runs each case, as ssh or wine64 would.
  Result run_through = loopcert("--runner \"env LOOPCERT_VIA=runner '" + env("LOOPCERT") + "' " + reference +
                                "\" " + filters + "'" + through + "'");
  INFO(run_direct.out << run_direct.err << run_through.out << run_through.err);
  CHECK(run_through.status == run_direct.status);
  CHECK(outcomes(through) == outcomes(direct));
  CHECK(outcomes(direct).size() > 30);  // both categories ran
  CHECK(has(run_through.out, "runner: each case ran through the command env LOOPCERT_VIA=runner"));
  CHECK(read_json(through)["results"]["extra"]["loopcert"]["runner"].get<std::string>().starts_with("env "));
  // Named as the library the command loads, so that the two reports' tests are the same tests.
  CHECK(read_json(through)["results"]["tests"][0]["name"] ==
        read_json(direct)["results"]["tests"][0]["name"]);
  std::remove(direct.c_str());
  std::remove(through.c_str());
}

TEST_CASE("a runner command that runs no case well gives each case its verdict, and the run goes on") {
  std::string report = scratch("runner-report.json");
  const std::string cases = "--case callbacks.call_soon.fifo_order --case callbacks.call_soon.fifo_thousand ";
  struct Misbehaviour {
    std::string per_case;
    std::string outcome;
    std::string message;
  };
  for (const Misbehaviour& m : {
           Misbehaviour{"exit 0", "CRASH", "exited with status 0 without reporting a result"},
           Misbehaviour{"echo not json; echo '{\"event\":\"result\"}'", "CRASH",
                        "(2 unreadable result lines)"},
           Misbehaviour{"exec /nonexistent/loopcert \"$@\"", "CRASH", "exited with status 127"},
           Misbehaviour{"exec sleep 60", "TIMEOUT", "no result within the hard timeout of 1 s"},
       }) {
    Result run = loopcert(misbehaving_runner(m.per_case) + cases + "--timeout 1 --report '" + report + "'");
    INFO(m.per_case << "\n" << run.out << run.err);
    CHECK(run.status == 1);
    auto by_case = outcomes(report);
    CHECK(by_case.size() == 2);
    for (const auto& [id, outcome] : by_case) CHECK(outcome == m.outcome);
    CHECK(has(run.out, m.message));
  }
  std::remove(report.c_str());
}

TEST_CASE("a runner command that names no loop is a usage error that says what it did") {
  Result missing = loopcert("--runner /nonexistent/loopcert --timeout 1");
  CHECK(missing.status == 2);
  CHECK(has(missing.err, "the runner command '/nonexistent/loopcert' named no loop"));
  CHECK(has(missing.err, "exited with status 127"));
  CHECK(has(missing.err, "not found"));  // the shell's own words, from the command's stderr
  Result hangs = loopcert("--runner 'sleep 60; :' --timeout 1");
  CHECK(hangs.status == 2);
  CHECK(has(hangs.err, "did not answer within 1 s"));
}

TEST_CASE("--runner refuses what cannot cross to the command: a local adapter, the fault shim") {
  Result adapter = loopcert(testloop() + "--runner true");
  CHECK(adapter.status == 2);
  CHECK(has(adapter.err, "name the adapter in the command"));
  Result faults = loopcert("--runner true --faults seed=1");
  CHECK(faults.status == 2);
  CHECK(has(faults.err, "--faults preloads the fault shim into local case processes"));
}

TEST_CASE("what a runner command runs: a case's results alone on stdout (--result-fd 1)") {
  Result run = loopcert(testloop() + "--run-one callbacks.call_soon.fifo_order --result-fd 1");
  INFO(run.out << run.err);
  CHECK(run.status == 0);
  std::istringstream lines(run.out);
  std::string line;
  std::string last_event;
  while (std::getline(lines, line)) last_event = json::parse(line).at("event");
  CHECK(last_event == "result");
  Result described = loopcert(testloop() + "--describe-loops");
  CHECK(json::parse(described.out)["name"] == "testloop");
}

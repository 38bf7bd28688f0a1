#include "tool/report/verify_hunt.h"

#include <set>
#include <string>
#include <vector>

#include "tool/report/report_reader.h"
#include "tool/run/vocabulary.h"
#include "tool/util/shell.h"

namespace bp {
namespace {

using nlohmann::json;

}  // namespace

void VerifyHuntReport(const json& report, Findings* f) {
  FieldReader r(report, "hunt report", true, f);
  r.String("schema");
  r.String("started_at");
  r.Object("tool");
  r.Uint("seed");
  r.Bool("seed_given");
  r.Number("budget_s");
  r.Number("seconds");
  const auto trials_run = r.Uint("trials_run");
  const auto findings = r.Uint("findings");
  const auto stopped = r.String("stopped");
  const auto exit_code = r.Uint("exit_code");
  if (const json* target = r.Object("target")) {
    r.Check(target->size() == 1 && (target->contains("pool") || target->contains("plugin")),
            "target names one pool or one plugin");
  }
  const json* reproduce = report.contains("reproduce") ? &report.at("reproduce") : nullptr;
  r.Check(reproduce != nullptr && (reproduce->is_null() || reproduce->is_string()),
          "reproduce is a string or null");
  const json* trials = r.Array("trials");
  if (trials == nullptr) return;
  static const std::set<std::string> kOutcomes = {"clean",       "violations", "crashed",
                                                  "sanitizer",   "hung",       "limit",
                                                  "interrupted", "error",      "misuse_fault"};
  uint64_t found = 0;
  std::string last_outcome, last_line;
  for (size_t i = 0; i < trials->size(); ++i) {
    const json& t = (*trials)[i];
    if (!t.is_object()) {
      f->Fail("trial " + std::to_string(i + 1) + " is not an object");
      continue;
    }
    FieldReader tr(t, "trial " + std::to_string(i + 1), true, f);
    if (!t.contains("trial") && t.contains("index")) {
      // Reports before one numbering counted trials from 0 in `index`.
      tr.Check(UintField(t, "index") == i, "index is its position in trials");
    } else {
      const auto number = tr.Uint("trial");
      tr.Check(number == i + 1, "trial is its number, from 1, as the hunt's messages give it");
    }
    const json* config = tr.Object("config");
    if (config != nullptr) {
      FieldReader c(*config, "trial " + std::to_string(i + 1) + " config", true, f);
      c.Uint("threads");
      c.String("dist");
      c.Uint("duration_ms");
      c.Uint("hold");
      c.Number("cross_thread");
      c.String("touch");
      c.String("checks");
      c.Number("preempt_rate");
      c.Uint("churn");
      c.Number("double_put_rate");
      c.Uint("seed");
    }
    const auto outcome = tr.String("outcome");
    tr.Check(outcome && kOutcomes.count(*outcome) != 0,
             "outcome '" + Printable(outcome.value_or("")) + "' is one of the hunt's outcomes");
    tr.Number("seconds");
    tr.Object("findings");
    tr.String("detail");
    if (!t.contains("exit_code") || !t.at("exit_code").is_number_integer()) {
      tr.Check(false, "exit_code is an integer");
    }
    const json* args = tr.Array("args");
    const auto line = tr.String("reproduce");
    if (args != nullptr && line) {
      std::vector<std::string> words;
      bool strings = true;
      for (const json& a : *args) {
        strings = strings && a.is_string();
        if (a.is_string()) words.push_back(a.get<std::string>());
      }
      tr.Check(strings && *line == "bpstress " + ShellJoin(words),
               "reproduce is 'bpstress' and args, shell-quoted");
    }
    // A finding keeps its evidence (its report, stdout, stderr) in a directory it names.
    if (const json* evidence = t.contains("evidence") ? &t.at("evidence") : nullptr) {
      tr.Check(evidence->is_null() || evidence->is_string(), "evidence is a string or null");
    }
    if (outcome && IsFindingOutcome(*outcome)) ++found;
    last_outcome = outcome.value_or("");
    last_line = line.value_or("");
  }
  r.Check(trials_run == trials->size(), "trials_run equals the number of trials");
  r.Check(findings == found && found <= 1, "findings counts the trials that found something");
  if (found == 1) {
    r.Check(IsFindingOutcome(last_outcome), "the hunt stopped at its finding (the last trial)");
  }
  if (stopped && exit_code && findings) {
    if (*stopped == "finding") {
      r.Check(*findings == 1 && *exit_code == 1, "a finding: findings 1 and exit_code 1");
      r.Check(reproduce != nullptr && reproduce->is_string() && *reproduce == last_line,
              "reproduce is the line of the trial that found it");
    } else if (*stopped == "budget") {
      r.Check(*findings == 0 && *exit_code == 0 && reproduce != nullptr && reproduce->is_null(),
              "budget spent: no finding, exit_code 0, reproduce null");
    } else if (*stopped == "interrupted") {
      r.Check(*exit_code == 130, "interrupted: exit_code 130");
    } else {
      r.Check(*stopped == "error",
              "stopped '" + Printable(*stopped) + "' is finding, budget, interrupted or error");
    }
    r.Check(*findings == 0, "the hunt found nothing");
  }
}

}  // namespace bp

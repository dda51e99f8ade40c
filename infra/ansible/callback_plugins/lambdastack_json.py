# A JSON record of a playbook run: each task's result on each host, and the per-host totals.
#
# ansible-core has no JSON callback of its own (ansible.builtin ships default, minimal, oneline,
# tree and junit; `json` lives in the ansible.posix collection, which ansible-core does not
# include), and a stdout callback would take the readable log away from the Actions log. This one
# runs beside the stdout callback and writes its record to the file named by the environment
# variable LAMBDASTACK_ANSIBLE_JSON when the run ends; without it, it does nothing.
#
# The ansible action reads the record to retry the unreachable hosts and to write its job summary.
# Results of no_log tasks arrive censored by ansible, so nothing they hide reaches the record.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = """
    name: lambdastack_json
    type: aggregate
    short_description: a JSON record of each task's result per host, for the ansible action
    description:
      - Writes, when the run ends, the plays, their tasks, each task's status on each host
        (ok, changed, failed, unreachable, skipped) with a short message, and the per-host totals
        to the file named by LAMBDASTACK_ANSIBLE_JSON.
    requirements:
      - enabled in callbacks_enabled (ANSIBLE_CALLBACKS_ENABLED)
"""

import json
import os

from ansible.plugins.callback import CallbackBase

# A message longer than this is cut: the record feeds a job summary, not a log.
MAX_MESSAGE = 500


def _message(result):
    """The first thing that says why a result is what it is: msg, then the end of stderr."""
    data = result._result
    # A loop's result says "All items completed" or "One or more items failed": the item that
    # failed, or could not be reached, says why.
    for item in data.get("results") or []:
        if isinstance(item, dict) and (item.get("failed") or item.get("unreachable")):
            data = item
            break
    if data.get("censored"):
        return str(data["censored"])
    text = data.get("msg") or ""
    stderr = (data.get("stderr") or "").strip()
    if stderr:
        text = (str(text) + ": " if text else "") + stderr.splitlines()[-1]
    text = str(text).strip()
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "\u2026"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "lambdastack_json"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.plays = []
        self.no_hosts_matched = []

    def _task(self, task):
        play = self.plays[-1]
        entry = {"name": task.get_name().strip(), "hosts": {}}
        play["tasks"].append(entry)
        return entry

    def v2_playbook_on_play_start(self, play):
        self.plays.append({"name": play.get_name().strip(), "tasks": []})

    def v2_playbook_on_no_hosts_matched(self):
        if self.plays:
            self.no_hosts_matched.append(self.plays[-1]["name"])

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._task(task)

    def _record(self, result, status):
        if not self.plays or not self.plays[-1]["tasks"]:
            return
        entry = {"status": status}
        if status in ("failed", "unreachable"):
            entry["msg"] = _message(result)
        self.plays[-1]["tasks"][-1]["hosts"][result._host.get_name()] = entry

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if result._result.get("changed", False) else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("LAMBDASTACK_ANSIBLE_JSON")
        if not path:
            return
        hosts = sorted(stats.processed.keys())
        record = {
            "plays": self.plays,
            "no_hosts_matched": self.no_hosts_matched,
            "stats": dict((host, stats.summarize(host)) for host in hosts),
        }
        # Written whole, then renamed, so a reader never sees half a record.
        partial = path + ".partial"
        with open(partial, "w") as out:
            json.dump(record, out, indent=1, sort_keys=True)
        os.replace(partial, path)

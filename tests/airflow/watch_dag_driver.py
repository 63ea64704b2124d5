"""Runs inside .venv-airflow, driven by tests/airflow/test_watch_dag.py.

python watch_dag_driver.py check   -> JSON: import errors, schedule, task graph
python watch_dag_driver.py run     -> JSON: the state of a full ``dag.test()`` run
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DAGS = Path(__file__).resolve().parents[2] / "airflow" / "dags"


def main() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    out: dict[str, object] = {"import_errors": {k: str(v) for k, v in bag.import_errors.items()}}
    dag = bag.get_dag("watch_egrid_releases")
    if dag is not None:
        out["schedule"] = str(getattr(dag, "schedule", None) or dag.timetable)
        out["tasks"] = {t.task_id: sorted(t.downstream_task_ids) for t in dag.tasks}
        if sys.argv[1:] == ["run"]:
            run = dag.test()
            out["state"] = str(run.state)
            out["task_states"] = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()

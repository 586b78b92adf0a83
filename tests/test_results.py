import json

import numpy as np
import pytest
import torch

from course.results import ClaimFailed, check_claim, load_results, record_results, results_path


def test_record_results_writes_plain_json(capsys):
    record_results("99_demo", {"a": np.float32(0.5), "b": torch.tensor([1, 2]),
                               "c": [np.int64(3)], "d": "text", "e": True}, smoke=True)
    path = results_path("99_demo")
    assert path.name == "99_demo.json"
    assert capsys.readouterr().out.startswith("recorded 5 figures in ")
    record = json.loads(path.read_text())
    assert record["figures"] == {"a": 0.5, "b": [1, 2], "c": [3], "d": "text", "e": True}
    assert record["smoke"] is True and record["device"] == "cpu"
    assert load_results("99_demo")["a"] == 0.5


def test_record_results_refuses_what_json_cannot_hold():
    with pytest.raises(ValueError, match="non-finite"):
        record_results("99_demo", {"a": float("nan")})
    with pytest.raises(TypeError, match="cannot record"):
        record_results("99_demo", {"a": object()})


def test_check_claim_passes_fails_and_only_reports_in_smoke_runs(capsys):
    check_claim("two is more than one", 2 > 1, "2 vs 1")
    assert "✓ two is more than one (2 vs 1)" in capsys.readouterr().out
    with pytest.raises(ClaimFailed, match="one is more than two"):
        check_claim("one is more than two", 1 > 2)
    check_claim("one is more than two", 1 > 2, smoke=True)
    assert "not asserted" in capsys.readouterr().out

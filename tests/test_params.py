import pytest

from course.params import (ParameterError, Rule, _one_line, boolean, check_parameters, integer,
                           list_of, number, one_of)


@pytest.mark.parametrize("rule, good, bad", [
    (integer(min=1), [1, 50], [0, -3, 2.5, "3", True, None]),
    (integer(min=1, max=3), [3], [4]),
    (number(min=0.0, max=1.0), [0, 0.5, 1.0], [-0.1, 1.5, "0.5", False]),
    (boolean(), [True, False], [0, 1, "True"]),
    (one_of("mnist5k", "digits8x8"), ["mnist5k"], ["MNIST", 5]),
    (list_of(integer(min=1)), [[2, 8], (1,)], [[], [0], 8, ["8"]]),
])
def test_rules_accept_and_reject(rule, good, bad):
    assert all(rule(v) for v in good)
    assert not any(rule(v) for v in bad)


def test_the_error_names_the_parameter_and_what_it_accepts():
    with pytest.raises(ParameterError) as info:
        check_parameters(DATASET=("mnist5k", one_of("mnist5k")), EPOCHS=(-3, integer(min=1)))
    assert str(info.value) == "EPOCHS = -3, but it must be a whole number >= 1"
    with pytest.raises(ParameterError, match=r"DATASET = 'cifar', but it must be one of 'mnist5k', 'digits8x8'"):
        check_parameters(DATASET=("cifar", one_of("mnist5k", "digits8x8")))


def test_good_parameters_pass_silently():
    check_parameters(A=(1, integer()), B=(0.5, number()), C=(True, boolean()))


def test_inside_ipython_the_error_is_shown_as_one_line_without_traceback():
    shown = []

    class Shell:
        def _showtraceback(self, etype, value, stb):
            shown.append((etype, str(value), stb))

    error = ParameterError("EPOCHS = -3, but ...")
    _one_line(Shell(), ParameterError, error, None)
    assert shown == [(ParameterError, "EPOCHS = -3, but ...", ["ParameterError: EPOCHS = -3, but ..."])]


# --- issue 20: real limits, NaN and huge numbers, limits between parameters, unknown names ---

from course.params import (TRAINING_LIMIT_S, dataset, deferred, duration, epoch_cost,  # noqa: E402
                           injected_names, require, seed, show, training_time)

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("rule, bad", [
    (number(), [NAN, INF, -INF]),
    (number(min=0.0, max=1.0), [NAN, 10**400, "nan"]),
    (integer(min=1), [NAN, INF, 1.0]),
    (seed(), [-1, 2**32, 2**31]),
    (list_of(number(), unique=True), [[1.0, 1.0], [NAN], [[1]]]),
    (list_of(integer(), min_len=2, max_len=2), [[1], [1, 2, 3]]),
    (one_of(1, 2), [True, 1.0]),
    (dataset(), ["cifar", 5, None, ["mnist5k"]]),
    (dataset("course.data:names"), ["cifar", 5]),  # a registry named as module:function
    (deferred("course.noise:noise_mix"), [{}, {"gaussian": NAN}, {"blur": 0.5}, []]),
])
def test_rules_reject_nan_infinities_huge_numbers_and_duplicates(rule, bad):
    assert not any(rule(v) for v in bad)


def test_a_huge_number_is_accepted_where_it_is_in_range_and_shown_short():
    assert integer(min=1)(10**5000) and number(min=0)(10**400)
    assert seed()(2**31 - 1) and dataset()("digits8x8")
    assert show(10**5000) == "a whole number of about 5,000 digits"
    assert len(show(list(range(1000)))) <= 60
    with pytest.raises(ParameterError, match=r"^EPOCHS = a whole number of about 5,000 digits, but it must be "):
        check_parameters(EPOCHS=(10**5000, integer(max=100)))


def test_rules_needing_a_heavy_import_are_checked_after_the_plain_ones():
    order = []
    heavy = Rule(lambda: "heavy", lambda v: order.append("heavy") or True, later=True)
    plain = Rule("plain", lambda v: order.append("plain") or False)
    with pytest.raises(ParameterError, match="^B = 1, but it must be plain$"):
        check_parameters(A=(1, heavy), B=(1, plain))
    assert order == ["plain"]


def test_require_states_a_limit_between_parameters_in_one_line():
    require(True, "never shown")
    with pytest.raises(ParameterError, match="^N_LABELS = 5000, but mnist5k has 3500 training images$"):
        require(False, "N_LABELS = 5000, but mnist5k has 3500 training images")


def test_training_time_announces_the_estimate_and_rejects_more_than_an_hour():
    estimate = training_time(EPOCHS=(20, 1.5), LINEAR_EPOCHS=(100, 0.05))
    assert estimate.seconds == pytest.approx(35.0)
    assert str(estimate).startswith("Training: about 35 s on one laptop CPU core")
    with pytest.raises(ParameterError) as info:
        training_time(EPOCHS=(10**9, 1.5), LINEAR_EPOCHS=(100, 0.05))
    assert str(info.value) == ("EPOCHS = 1000000000 would train for about 48 years on a laptop CPU (1.5 s each), "
                               "but a lesson may train for at most 60 min: use at most 2,396")
    with pytest.raises(ParameterError, match="more than a million years.*use at most 2,400$"):
        training_time(EPOCHS=(10**400, 1.5))
    assert training_time(EPOCHS=(2400, 1.5)).seconds == TRAINING_LIMIT_S  # the limit itself is allowed


def test_epoch_cost_scales_with_the_work_and_small_batches():
    assert epoch_cost(2.0) == 2.0
    assert epoch_cost(2.0, scale=0.5) == 1.0
    assert epoch_cost(2.0, batch_size=16) == pytest.approx(2.0 * 2 / 1.25)


def test_duration_reads_well():
    assert [duration(s) for s in (5, 600, 7200, 10 * 86400)] == [
        "about 5 s", "about 10 min", "about 2.0 hours", "about 10 days"]


PARAMETERS_CELL = 'DATASET = "mnist5k"\nEPOCHS = 20  # epochs\nSMOKE = False\n'


def test_a_name_papermill_injected_that_the_lesson_lacks_stops_with_the_closest_name():
    history = ["", PARAMETERS_CELL, "# Parameters\nEPOCH = 5\n", "check"]
    assert injected_names(history) == ({"EPOCH": "5"}, {"DATASET", "EPOCHS", "SMOKE"})
    with pytest.raises(ParameterError) as info:
        from course.params import check_unknown

        check_unknown({"DATASET", "EPOCHS", "SMOKE"}, history)
    assert str(info.value) == ("EPOCH = 5 was given, but this lesson has no parameter EPOCH (did you mean "
                               "EPOCHS?); its parameters: DATASET, EPOCHS, SMOKE")
    with pytest.raises(ParameterError) as info:
        check_unknown({"DATASET", "EPOCHS", "SMOKE"}, ["", PARAMETERS_CELL, "# Parameters\nEPOCH = 5\nSMOK = 1\n"])
    assert str(info.value) == ("EPOCH = 5 and SMOK = 1 were given, but this lesson has no parameters EPOCH (did "
                               "you mean EPOCHS?) and SMOK (did you mean SMOKE?); its parameters: DATASET, EPOCHS, "
                               "SMOKE")


def test_known_injected_names_and_no_injection_pass():
    from course.params import check_unknown

    check_unknown({"EPOCHS"}, ["", PARAMETERS_CELL, "# Parameters\nEPOCHS = 5\nSMOKE = True\n"])
    check_unknown({"EPOCHS"}, ["", PARAMETERS_CELL, "EPOCH = 5\n"])  # typed by hand: not injected
    # the parameters cell counts as known, so a demo call with one name passes too
    check_unknown({"EPOCHS"}, ["", PARAMETERS_CELL, "# Parameters\nDATASET = 'digits8x8'\n", "demo"])
    assert injected_names([]) == ({}, set())


def test_check_parameters_reads_the_injected_cell_from_the_ipython_history(monkeypatch):
    class Shell:
        user_ns = {"_ih": ["", PARAMETERS_CELL, "# Parameters\nEPOCHZ = 5\n"]}

        def set_custom_exc(self, *args):
            pass

    monkeypatch.setattr("course.params._shell", lambda: Shell())
    with pytest.raises(ParameterError, match="did you mean EPOCHS"):
        check_parameters(DATASET=("mnist5k", dataset()), EPOCHS=(20, integer(min=1)), SMOKE=(False, boolean()))


def test_the_shared_data_limits_name_the_parameter_and_the_limit():
    from course.params import require_labels, require_pca

    require_pca("BOTTLENECK", 64, 64, "digits8x8", 64, 1258)
    with pytest.raises(ParameterError, match=r"^BOTTLENECKS = \[256\], but PCA, the yardstick, finds at most 64 "
                                             r"directions in digits8x8 \(64 pixels, 1258 training images\)$"):
        require_pca("BOTTLENECKS", [256], 256, "digits8x8", 64, 1258)
    require_labels("N_LABELS", 3500, 350)
    for bad in (15, 3510, 10**40):
        with pytest.raises(ParameterError, match="a multiple of 10 up to 3500"):
            require_labels("N_LABELS", bad, 350)


def test_a_smoke_run_announces_its_own_counts():
    budget = training_time(EPOCHS=(20, 1.5), LINEAR_EPOCHS=(100, 0.05))
    assert budget.with_counts(EPOCHS=1, LINEAR_EPOCHS=1).seconds == pytest.approx(1.55)
    assert budget.with_counts(EPOCHS=1).seconds == pytest.approx(6.5)

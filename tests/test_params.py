import pytest

from course.params import (ParameterError, _one_line, boolean, check_parameters, integer,
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

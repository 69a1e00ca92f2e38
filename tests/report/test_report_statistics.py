"""The statistics of `rtn-report compare` on known distributions: no alarm when nothing changed, a planted
20% slowdown found, at the repetition counts the tools write by default."""
import numpy
import pytest

from rtn_report import compare

# rtn bench times 30 rounds per configuration, and rtn-tune aims at ~30 repetitions per contender; 7 is
# rtn-tune's minimum when the budget is tight.
DEFAULT_REPETITIONS = 30
TRIALS = 100


def timings(rng, count, true_ns=200.0, slowdown=1.0):
    """Timings as a shared machine produces them: log-normal jitter of 4%, and 10% of repetitions hit by an
    interruption that only ever makes them slower (by 0-100%, exponential with mean 30%)."""
    values = true_ns * slowdown * rng.lognormal(0.0, 0.04, count)
    hit = rng.random(count) < 0.10
    values[hit] *= 1 + numpy.minimum(rng.exponential(0.3, hit.sum()), 1.0)
    return values.tolist()


@pytest.mark.parametrize("repetitions", [DEFAULT_REPETITIONS, 7])
def test_no_alarm_on_identical_distributions(repetitions):
    rng = numpy.random.default_rng(20250101)
    alarms = sum(compare.decide(timings(rng, repetitions), timings(rng, repetitions)).fails for _ in range(TRIALS))
    assert alarms <= 1, f"{alarms} false alarms in {TRIALS} trials"


def test_no_alarm_on_a_whole_file_of_identical_distributions():
    """The gate looks at every measurement of a run at once: 20 unchanged measurements per trial."""
    rng = numpy.random.default_rng(7)
    alarms = 0
    for _ in range(TRIALS):
        verdicts = [compare.decide(timings(rng, DEFAULT_REPETITIONS, true_ns=t), timings(rng, DEFAULT_REPETITIONS, true_ns=t))
                    for t in numpy.geomspace(5, 50000, 20)]
        alarms += any(v.fails for v in verdicts)
    assert alarms <= 1, f"{alarms} of {TRIALS} runs raised a false alarm"


@pytest.mark.parametrize("repetitions", [DEFAULT_REPETITIONS, 7])
def test_planted_20_percent_slowdown_is_detected(repetitions):
    rng = numpy.random.default_rng(12345)
    detected = sum(compare.decide(timings(rng, repetitions), timings(rng, repetitions, slowdown=1.2)).fails
                   for _ in range(TRIALS))
    assert detected >= 95, f"only {detected} of {TRIALS} planted slowdowns detected"


def test_a_slowdown_below_the_threshold_never_fails_but_is_reported():
    rng = numpy.random.default_rng(3)
    verdicts = [compare.decide(timings(rng, 200), timings(rng, 200, slowdown=1.04)) for _ in range(20)]
    assert not any(v.fails for v in verdicts)
    assert sum(v.status == "slower" for v in verdicts) >= 15  # significant, small


def test_improvement_never_fails():
    rng = numpy.random.default_rng(4)
    verdict = compare.decide(timings(rng, 30), timings(rng, 30, slowdown=0.7))
    assert verdict.status == "improvement" and not verdict.fails
    assert verdict.change == pytest.approx(-0.3, abs=0.05)


def test_too_few_repetitions_are_not_tested():
    verdict = compare.decide([100, 101, 99], [200, 201, 199])
    assert verdict.status == "untested" and not verdict.fails
    assert verdict.change == pytest.approx(1.0, abs=0.02)


def test_effect_size_is_the_hodges_lehmann_ratio():
    base = [100.0] * 10
    new = [120.0] * 9 + [10000.0]  # one wild outlier does not move the estimate
    assert compare.hodges_lehmann_ratio(base, new) == pytest.approx(1.2)
    verdict = compare.decide(base, new)
    assert verdict.status == "regression" and verdict.superiority == pytest.approx(1.0)


def test_threshold_and_alpha_are_honoured():
    rng = numpy.random.default_rng(5)
    base, new = timings(rng, 30), timings(rng, 30, slowdown=1.2)
    assert compare.decide(base, new, threshold_percent=10).fails
    assert not compare.decide(base, new, threshold_percent=30).fails
    assert not compare.decide(base, new, alpha=1e-30).fails


def test_instruction_counts_are_compared_exactly():
    assert compare.decide_instructions([1000.0], [1011.0], threshold_percent=1).fails
    assert not compare.decide_instructions([1000.0], [1009.0], threshold_percent=1).fails
    assert compare.decide_instructions([1000.0], [900.0]).status == "improvement"
    assert compare.decide_instructions([1000.0], [1000.0]).status == "unchanged"


def test_a_shift_made_by_a_few_interrupted_repetitions_is_not_a_regression():
    """Bimodal timings: the medians differ by 50%, but most new repetitions are as fast as before."""
    base = [100.0] * 20 + [150.0] * 10
    new = [100.0] * 12 + [150.0] * 18
    verdict = compare.decide(base, new)
    assert verdict.p_slower < 0.05 and verdict.new_median / verdict.base_median == 1.5
    assert verdict.superiority < compare.DEFAULT_MIN_SUPERIORITY and verdict.status == "slower"

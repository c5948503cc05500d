"""A call in a child process: its result, its exception, or a clear error when the child dies."""

from __future__ import annotations

import os

import pytest

from bot.data import Location
from bot.problems import Problem, TrainingDataError
from core import isolated


class Unpicklable(Exception):
    def __init__(self, first: str, second: str) -> None:  # pickle re-creates it with one argument: fails
        super().__init__(first)
        self.second = second


def raise_unpicklable() -> None:
    raise Unpicklable("a", "b")


def raise_training_problem() -> None:
    raise TrainingDataError([Problem(Location("faq.yaml", 3), "no examples", intent="greet")])


def test_the_result_comes_back_from_another_process() -> None:
    assert isolated.call(os.getpid) != os.getpid()
    assert isolated.call(sorted, [3, 1, 2]) == [1, 2, 3]


def test_the_childs_exception_is_raised_here_with_its_details() -> None:
    with pytest.raises(TrainingDataError) as raised:
        isolated.call(raise_training_problem)
    assert [p.intent for p in raised.value.problems] == ["greet"]


def test_a_child_that_dies_without_answering_is_an_error_not_a_hang() -> None:
    with pytest.raises(isolated.ChildDied, match="exit code 3"):
        isolated.call(os._exit, 3)


def test_an_exception_that_cannot_travel_arrives_as_text() -> None:
    with pytest.raises(isolated.ChildDied, match="Unpicklable"):
        isolated.call(raise_unpicklable)

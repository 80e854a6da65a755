"""Statements built of parts, each written with its own $1, $2, …: the numbers run on."""

import pytest

from delivery.platform.db import Composed


def test_each_part_is_numbered_on_from_the_parts_before_it():
    statement = Composed()
    statement.with_("a", "INSERT INTO t (x, y) VALUES ($1, $2)", 1, 2)
    statement.clauses("b AS (UPDATE u SET z = $1), c AS (DELETE FROM v WHERE w = $2)", 3, 4)
    sql = statement.statement("SELECT $1 = (SELECT count(*) FROM a)", 5)
    assert sql == ("WITH a AS (INSERT INTO t (x, y) VALUES ($1, $2)), "
                   "b AS (UPDATE u SET z = $3), c AS (DELETE FROM v WHERE w = $4)\n"
                   "SELECT $5 = (SELECT count(*) FROM a)")
    assert statement.args == [1, 2, 3, 4, 5]


def test_a_part_given_the_wrong_number_of_values_is_refused():
    with pytest.raises(ValueError, match="1 values for 2 placeholders"):
        Composed().with_("a", "SELECT $1, $2", "only one")


def test_a_statement_built_once_takes_its_values_from_the_caller():
    statement = Composed()
    statement.with_("a", "SELECT $1, $2")
    assert statement.statement("SELECT $1 FROM a") == "WITH a AS (SELECT $1, $2)\nSELECT $3 FROM a"
    assert statement.args == []


def test_parts_with_values_and_parts_without_do_not_mix():
    statement = Composed()
    statement.with_("a", "SELECT $1", 1)
    statement.with_("b", "SELECT $1")
    with pytest.raises(ValueError, match="needs its values"):
        statement.statement("SELECT 1")

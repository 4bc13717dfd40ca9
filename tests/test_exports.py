"""Tests for geo.data.exports."""

from __future__ import annotations

import pandas as pd

from geo.data.exports import neutralise_formulas


def test_neutralise_formulas():
    df = pd.DataFrame({
        "text": ["=1+1", "+49 341 123", "-12.5", "-3,2", "@SUM(A1)", "\tx", "\rx", "ok", "a=b", None],
        "num": range(10),
    })
    df["cat"] = pd.Categorical(["-x"] * 10)
    out = neutralise_formulas(df)
    assert out["text"].tolist()[:9] == [
        "'=1+1", "'+49 341 123", "-12.5", "-3,2", "'@SUM(A1)", "'\tx", "'\rx", "ok", "a=b",
    ]
    assert pd.isna(out["text"].iloc[9])
    assert out["num"].tolist() == list(range(10))
    assert out["cat"].iloc[0] == "'-x"
    assert df["text"].iloc[0] == "=1+1"  # input untouched


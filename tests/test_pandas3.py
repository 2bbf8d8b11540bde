"""Text handling does not depend on pandas' text dtype (pandas 3 reads text as ``str``, pandas 2 as object).

Under pandas 3 two ``dtype == object`` checks silently skipped every column: uploaded ids kept their
spaces, and ``allocate --out`` wrote live ``=HYPERLINK`` formulas. These tests run on whichever pandas
is installed (3.x here; the lowest-versions matrix runs them on 2.x).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from prioritizer import cells
from prioritizer.data import reading
from prioritizer.paths import SAMPLE_DATA_DIR
from prioritizer.pipeline import run_scoring

TEXT_DTYPES = ["object", "string", "str"]


def _column(values: list, dtype: str) -> pd.Series:
    if dtype == "str":  # pandas 3's default text dtype; pandas 2.3 can build it explicitly
        try:
            return pd.Series(values, dtype=pd.StringDtype(na_value=np.nan))
        except TypeError:  # pragma: no cover - pandas < 2.3 has no NaN-variant string dtype
            pytest.skip("this pandas has no NaN-variant string dtype")
    return pd.Series(values, dtype=dtype)


def test_read_csv_text_dtype_is_what_pandas_gives():
    frame = reading.read_table(b"partner_id,name\nNOR,Norway\n", "p.csv")
    assert pd.api.types.is_string_dtype(frame["partner_id"])
    if int(pd.__version__.split(".")[0]) >= 3:
        assert frame["partner_id"].dtype != object, "pandas 3 reads text as str: the case this file guards"


def test_uploaded_csv_cells_are_trimmed():
    data = b"partner_id,name,priority\n NOR ,  Norway ,3\nSWE\t, Sweden,4 \n"
    frame = reading.read_table(data, "upload.csv")
    assert frame["partner_id"].tolist() == ["NOR", "SWE"]
    assert frame["name"].tolist() == ["Norway", "Sweden"]
    assert frame["priority"].tolist() == ["3", "4"]


def test_uploaded_xlsx_cells_are_trimmed(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["partner_id", "name"])
    ws.append(["  NOR ", " Norway"])
    path = tmp_path / "upload.xlsx"
    wb.save(path)
    frame = reading.read_table(path.read_bytes(), "upload.xlsx")
    assert frame["partner_id"].tolist() == ["NOR"]
    assert frame["name"].tolist() == ["Norway"]


def test_padded_ids_in_a_priority_upload_match_the_partners(tmp_path):
    ids = pd.read_csv(SAMPLE_DATA_DIR / "partners.csv", usecols=["partner_id"])["partner_id"].head(3).tolist()
    path = tmp_path / "priority.csv"
    path.write_text("partner_id,priority\n" + "".join(f"  {p} ,5\n" for p in ids), encoding="utf-8")
    dataset, _profile, _result = run_scoring(priority=path)
    assert dataset.priority.reindex(ids).tolist() == [5.0, 5.0, 5.0]


@pytest.mark.parametrize("dtype", TEXT_DTYPES)
def test_neutralise_frame_sees_every_text_dtype(dtype):
    frame = pd.DataFrame({"name": _column(['=HYPERLINK("http://x","y")', "Norway", None], dtype),
                          "change_usd_m": [-3.5, 0.0, 2.0]})
    out = cells.neutralise_frame(frame)
    assert out["name"].iloc[0] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert out["name"].iloc[1] == "Norway"
    assert pd.isna(out["name"].iloc[2])
    pd.testing.assert_series_equal(out["change_usd_m"], frame["change_usd_m"])  # numbers stay numbers


@pytest.mark.parametrize("dtype", TEXT_DTYPES)
def test_upload_trimming_sees_every_text_dtype(dtype):
    frame = pd.DataFrame({"partner_id": _column([" NOR ", "SWE "], dtype), "n": [1, 2]})
    out = reading.clean_header(frame, "t.csv")
    assert out["partner_id"].tolist() == ["NOR", "SWE"]
    assert out["n"].tolist() == [1, 2]

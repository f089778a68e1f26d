import pytest

import app


def test_version():
    assert app.helpers is not None
    with pytest.raises(ZeroDivisionError):
        1 / 0

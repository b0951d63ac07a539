"""Copy-paste recipes with maintained libraries; the tests in tests/recipes run each one (tiny on CPU, real on GPU)."""

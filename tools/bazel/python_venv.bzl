"""A Python toolchain whose interpreter is the project virtualenv (.venv).

Bazel 4's native py_binary/py_test run the interpreter of the registered
toolchain. `--python_path` alone is ignored, and without `stub_shebang` the
launcher looks for `python` on PATH. The virtualenv is made by `make setup`
(see the Makefile) from requirements.lock, so third-party packages need no
Bazel targets.
"""

_BUILD = """\
load("@bazel_tools//tools/python:toolchain.bzl", "py_runtime_pair")

py_runtime(
    name = "py3_runtime",
    interpreter_path = "{python}",
    python_version = "PY3",
    stub_shebang = "#!{python}",
)

py_runtime_pair(
    name = "runtime_pair",
    py3_runtime = ":py3_runtime",
)

toolchain(
    name = "py_toolchain",
    toolchain = ":runtime_pair",
    toolchain_type = "@bazel_tools//tools/python:toolchain_type",
)
"""

def _python_venv_impl(rctx):
    root = rctx.path(rctx.attr.workspace_file).dirname
    python = "%s/%s/bin/python3" % (root, rctx.attr.venv)
    if not rctx.path(python).exists:
        fail("No virtualenv interpreter at %s: run `make setup` first." % python)
    rctx.file("BUILD", _BUILD.format(python = python))

python_venv_toolchain = repository_rule(
    implementation = _python_venv_impl,
    attrs = {
        "venv": attr.string(default = ".venv"),
        "workspace_file": attr.label(default = Label("//:WORKSPACE")),
    },
    local = True,
)

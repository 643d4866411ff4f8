"""`pip install ./python`: the rnnlab package (pure Python over librnnlab.so through ctypes).

A setup.py and no pyproject.toml on purpose: pip then builds with the setuptools and wheel
already installed (Debian's python3-setuptools, python3-wheel) instead of fetching them from
PyPI into an isolated build environment, so the install works offline. numpy (Debian's
python3-numpy) is the one dependency; torch (python3-torch) only for rnnlab.torch_bridge.
"""
from setuptools import setup

setup(
    name="rnnlab",
    version="0.1.0",
    description="tanh RNN, GRU and LSTM sequence models (Chung et al. 2014) over librnnlab's C API",
    packages=["rnnlab"],
    python_requires=">=3.9",
    install_requires=["numpy"],
    extras_require={"torch": ["torch"]},
)

# Sourced by the Makefile's recipes: tools installed by setup.sh on PATH.
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"

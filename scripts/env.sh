# Sourced by the scripts: where the project's tools live, first on PATH.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export REFTRAIL_TOOLS="${REFTRAIL_TOOLS:-/opt/reftrail-tools}"
export PATH="$REFTRAIL_TOOLS/node_modules/.bin:$CARGO_HOME/bin:$PATH"

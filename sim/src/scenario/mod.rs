//! The scenario language (../shared/SCENARIOS.md): (in progress)

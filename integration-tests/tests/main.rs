//! Black-box tests of liftrescue, linked as one binary.

mod cli;
mod demo;
mod rules_cli;

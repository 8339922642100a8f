//! Korean → English translation (issue 18). The `marian` branch owns this module and brings
//! the network, decoding and weight loading; until it lands here, only the tokenizer is
//! declared.

pub mod tokenizer;

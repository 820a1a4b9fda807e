//! The names of the library's choices (frame, tile format, output format, painter,
//! interpolation): each enum is parsed and printed by the one table its macro call gives.

/// Implements `name()`, `Display` and a case-insensitive `FromStr` for a fieldless enum from
/// one table of `Variant => "name" | "alias"…`; the first name is the one printed.
macro_rules! named_choices {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal $(| $alias:literal)*),+ $(,)? }) => {
        impl $ty {
            /// The name requests use and messages print.
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = crate::error::Error;

            fn from_str(s: &str) -> crate::error::Result<Self> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($name $(| $alias)* => Ok($ty::$variant),)+
                    _ => Err(crate::error::Error::invalid(format!(
                        "unknown {} `{s}` (use {})",
                        $what,
                        [$($name),+].join(", ")
                    ))),
                }
            }
        }
    };
}

pub(crate) use named_choices;

use super::*;
use proptest::prelude::*;

fn modules(source: &str) -> Vec<(String, usize, ImportContext)> {
    scan(source)
        .unwrap()
        .into_iter()
        .map(|import| {
            let mut module = ".".repeat(import.level as usize) + &import.module;
            if !import.names.is_empty() {
                module.push_str(&format!(":{}", import.names.join(",")));
            }
            (module, import.line, import.context)
        })
        .collect()
}

use ImportContext::{Optional, Runtime, TypeOnly};

#[test]
fn plain_and_aliased_imports() {
    assert_eq!(
        modules("import a.b as c, d\nfrom e.f import g as h, i\n"),
        vec![
            ("a.b".into(), 1, Runtime),
            ("d".into(), 1, Runtime),
            ("e.f:g,i".into(), 2, Runtime),
        ]
    );
}

#[test]
fn parenthesised_multi_line_from_imports_and_continuations() {
    let source = "from x import (\n    a,  # comment\n    b as c,\n)\nimport y, \\\n    z\n";
    assert_eq!(
        modules(source),
        vec![
            ("x:a,b".into(), 1, Runtime),
            ("y".into(), 5, Runtime),
            ("z".into(), 6, Runtime),
        ]
    );
}

#[test]
fn strings_and_comments_hide_import_words() {
    let source = r#"
s = "import nope"
t = '''
import nope2
'''
u = f"{x!r:>{width}} import {'nested'} {d["k"]}"
# import nope3
v = rb'\'import' ; import real
w = """a \""" b""" ; import real2
"#;
    assert_eq!(
        modules(source),
        vec![("real".into(), 8, Runtime), ("real2".into(), 9, Runtime)]
    );
}

#[test]
fn relative_nested_and_star_imports() {
    let source = "from . import sibling\nfrom ..pkg.mod import *\ndef f():\n    import inner\n    class C:\n        from deep import thing\n";
    assert_eq!(
        modules(source),
        vec![
            (".:sibling".into(), 1, Runtime),
            ("..pkg.mod".into(), 2, Runtime),
            ("inner".into(), 4, Runtime),
            ("deep:thing".into(), 6, Runtime),
        ]
    );
}

#[test]
fn try_except_import_error_is_optional() {
    let source = "\
try:
    import ujson as json
except ImportError:
    import json
try:
    import guarded_other
except (ValueError, ModuleNotFoundError) as error:
    pass
try:
    import required
except ValueError:
    pass
finally:
    pass
try: import oneliner
except ImportError: import fallback
import after
";
    assert_eq!(
        modules(source),
        vec![
            ("ujson".into(), 2, Optional),
            ("json".into(), 4, Optional),
            ("guarded_other".into(), 6, Optional),
            ("required".into(), 10, Runtime),
            ("oneliner".into(), 15, Optional),
            ("fallback".into(), 16, Optional),
            ("after".into(), 17, Runtime),
        ]
    );
}

#[test]
fn nested_try_blocks_are_matched_by_indentation() {
    let source = "\
try:
    try:
        import inner
    except ValueError:
        pass
    import outer
except ImportError:
    pass
";
    assert_eq!(
        modules(source),
        vec![("inner".into(), 3, Optional), ("outer".into(), 6, Optional)]
    );
}

#[test]
fn type_checking_blocks_are_type_only() {
    let source = "\
from typing import TYPE_CHECKING
import typing
if TYPE_CHECKING:
    from pandas import DataFrame
else:
    import runtime_one
if typing.TYPE_CHECKING: import numpy
if not TYPE_CHECKING:
    import runtime_two
";
    assert_eq!(
        modules(source),
        vec![
            ("typing:TYPE_CHECKING".into(), 1, Runtime),
            ("typing".into(), 2, Runtime),
            ("pandas:DataFrame".into(), 4, TypeOnly),
            ("runtime_one".into(), 6, Runtime),
            ("numpy".into(), 7, TypeOnly),
            ("runtime_two".into(), 9, Runtime),
        ]
    );
}

#[test]
fn dynamic_imports_with_literal_names() {
    let source = "\
import importlib
m = importlib.import_module(\"yaml\")
n = __import__('toml.decoder')
o = importlib.import_module(name)
p = importlib.import_module(f\"x{y}\")
q = import_module('.relative', 'pkg')
";
    assert_eq!(
        modules(source),
        vec![
            ("importlib".into(), 1, Runtime),
            ("yaml".into(), 2, Runtime),
            ("toml.decoder".into(), 3, Runtime),
        ]
    );
    assert!(scan("x = __import__('os')").unwrap()[0].dynamic);
}

#[test]
fn columns_point_at_the_module() {
    let imports = scan("if x:\n    import  abc\n").unwrap();
    assert_eq!((imports[0].line, imports[0].column), (2, 13));
    let imports = scan("s = '''\n\n'''; import later\n").unwrap();
    assert_eq!((imports[0].line, imports[0].column), (3, 13));
}

#[test]
fn syntax_errors_name_line_and_column() {
    let error = |source: &str| scan(source).unwrap_err().to_string();
    assert_eq!(
        error("x = 1\ns = 'abc\n"),
        "2:5: unterminated string literal"
    );
    assert_eq!(error("x = (\n1,\n"), "1:5: `(` is never closed");
    assert_eq!(error("x = 1)\n"), "1:6: unmatched `)`");
    assert_eq!(error("a = '''\n"), "1:5: unterminated string literal");
    assert!(error("import\n").starts_with("1:1: expected a module name"));
    assert!(error("from x imp y\n").contains("expected `import`"));
    assert!(error("from import y\n").contains("expected a module name after `from`"));
}

#[test]
fn keywords_elsewhere_are_not_imports() {
    assert!(
        scan("x = yield from gen()\nobj.import_thing = 1\n")
            .unwrap()
            .is_empty()
    );
    assert!(scan("raise X from error\n").unwrap().is_empty());
    assert!(scan("obj.__import__('x')\n").unwrap().is_empty());
}

#[test]
fn crlf_tabs_and_unicode() {
    let source = "if x:\r\n\timport a\r\nnamé = 'ü'; import b\r\n";
    assert_eq!(
        modules(source),
        vec![("a".into(), 2, Runtime), ("b".into(), 3, Runtime)]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any text: an import list or an error with a position inside the text; never a panic.
    #[test]
    fn never_panics_on_arbitrary_text(source in "\\PC{0,300}") {
        match scan(&source) {
            Ok(imports) => {
                for import in imports {
                    prop_assert!(import.line >= 1 && import.line <= source.lines().count().max(1));
                }
            }
            Err(error) => prop_assert!(error.line >= 1 && error.line <= source.split('\n').count()),
        }
    }

    /// Python-shaped fragments glued together in any order.
    #[test]
    fn never_panics_on_python_fragments(parts in proptest::collection::vec(prop_oneof![
        Just("import a.b as c\n"), Just("from . import x\n"), Just("try:\n"), Just("    "),
        Just("except ImportError:\n"), Just("if TYPE_CHECKING:\n"), Just("'''"), Just("\""),
        Just("f\"{"), Just("}\""), Just("("), Just(")"), Just("\\\n"), Just("#"), Just("\n"),
        Just("__import__('x')"), Just(":"), Just(";"), Just("from"), Just("import"), Just("é"),
        Just("\t"), Just("\r\n"), Just("{"), Just("]"),
    ], 0..40)) {
        let source: String = parts.concat();
        if let Err(error) = scan(&source) {
            prop_assert!(error.line >= 1 && error.line <= source.split('\n').count());
            prop_assert!(error.column >= 1);
        }
    }
}

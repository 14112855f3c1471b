//! Small builders shared by migrations. They only assemble sea-query statements: changing one
//! must not change what an applied migration created (the statements are names and columns).

use sea_orm_migration::prelude::*;

/// A foreign key `from_table.column → to_table.id`, named `fk_<from_table>_<column>`.
pub fn fk(
    from_table: &'static str,
    column: &'static str,
    to_table: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{column}"))
        .from(from_table, column)
        .to(to_table, "id")
        .on_delete(on_delete)
        .to_owned()
}

/// An index on `columns` of `table`.
pub fn index(table: &'static str, name: &str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for column in columns {
        stmt.col(*column);
    }
    stmt.to_owned()
}

"""Procrastinate's own schema SQL, applied by our migrations (as the owner)."""

from __future__ import annotations

from procrastinate.schema import SchemaManager


def procrastinate_schema_sql() -> str:
    return str(SchemaManager.get_schema())


def procrastinate_grants_sql(role: str) -> str:
    # Every table, sequence and function the schema created is named procrastinate_*.
    return f"""
    do $$
    declare r record;
    begin
      for r in select tablename from pg_tables
               where schemaname = 'public' and tablename like 'procrastinate\\_%' loop
        execute format('grant select, insert, update, delete on %I to {role}', r.tablename);
      end loop;
      for r in select sequencename from pg_sequences
               where schemaname = 'public' and sequencename like 'procrastinate\\_%' loop
        execute format('grant usage, select on sequence %I to {role}', r.sequencename);
      end loop;
      for r in select p.oid::regprocedure as sig from pg_proc p
               join pg_namespace n on n.oid = p.pronamespace
               where n.nspname = 'public' and p.proname like 'procrastinate\\_%' loop
        execute format('grant execute on function %s to {role}', r.sig);
      end loop;
    end $$;
    """


def procrastinate_downgrade_sql() -> str:
    return """
    do $$
    declare r record;
    begin
      for r in select tablename from pg_tables
               where schemaname = 'public' and tablename like 'procrastinate\\_%' loop
        execute format('drop table if exists %I cascade', r.tablename);
      end loop;
      for r in select p.oid::regprocedure as sig from pg_proc p
               join pg_namespace n on n.oid = p.pronamespace
               where n.nspname = 'public' and p.proname like 'procrastinate\\_%' loop
        execute format('drop function if exists %s cascade', r.sig);
      end loop;
      for r in select t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace
               where n.nspname = 'public' and t.typname like 'procrastinate\\_%'
                 and t.typtype in ('e', 'c') loop
        execute format('drop type if exists %I cascade', r.typname);
      end loop;
    end $$;
    """

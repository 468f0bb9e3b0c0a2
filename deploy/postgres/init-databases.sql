-- Run once by the postgres image (psql, as the superuser), when its data volume is first
-- initialised: the roles and the databases of deploy/README.md's "Database roles".
--
-- - cica_migration: owns the four databases and, through `cica migrate`, every table in them.
--   It may log in, and nothing else: no superuser, no CREATEDB, no CREATEROLE.
-- - cica_<service>_service: what each service connects as. It owns nothing; `cica migrate`
--   (CICA_SERVICE_DATABASE_ROLE=cica_{service}_service) grants it, in its own database only,
--   SELECT and INSERT on `events` and what else a running service needs.
--
-- The passwords come from the container's environment (compose refuses to start without
-- them); a missing one stops the initialisation here, before anything is made.
\set ON_ERROR_STOP on

-- Each password from its variable; a missing one reads as empty, and an empty one stops here.
\getenv migration_password CICA_MIGRATION_DATABASE_PASSWORD
\if :{?migration_password}
\else
    \set migration_password ''
\endif
\getenv registry_password CICA_REGISTRY_DATABASE_PASSWORD
\if :{?registry_password}
\else
    \set registry_password ''
\endif
\getenv documents_password CICA_DOCUMENTS_DATABASE_PASSWORD
\if :{?documents_password}
\else
    \set documents_password ''
\endif
\getenv meetings_password CICA_MEETINGS_DATABASE_PASSWORD
\if :{?meetings_password}
\else
    \set meetings_password ''
\endif
\getenv notifications_password CICA_NOTIFICATIONS_DATABASE_PASSWORD
\if :{?notifications_password}
\else
    \set notifications_password ''
\endif

SELECT
    :'migration_password' = '' AS no_migration_password,
    :'registry_password' = '' AS no_registry_password,
    :'documents_password' = '' AS no_documents_password,
    :'meetings_password' = '' AS no_meetings_password,
    :'notifications_password' = '' AS no_notifications_password
\gset
\if :no_migration_password
    DO $$ BEGIN RAISE EXCEPTION 'CICA_MIGRATION_DATABASE_PASSWORD is not set'; END $$;
\endif
\if :no_registry_password
    DO $$ BEGIN RAISE EXCEPTION 'CICA_REGISTRY_DATABASE_PASSWORD is not set'; END $$;
\endif
\if :no_documents_password
    DO $$ BEGIN RAISE EXCEPTION 'CICA_DOCUMENTS_DATABASE_PASSWORD is not set'; END $$;
\endif
\if :no_meetings_password
    DO $$ BEGIN RAISE EXCEPTION 'CICA_MEETINGS_DATABASE_PASSWORD is not set'; END $$;
\endif
\if :no_notifications_password
    DO $$ BEGIN RAISE EXCEPTION 'CICA_NOTIFICATIONS_DATABASE_PASSWORD is not set'; END $$;
\endif

CREATE ROLE cica_migration LOGIN PASSWORD :'migration_password';
CREATE ROLE cica_registry_service LOGIN PASSWORD :'registry_password';
CREATE ROLE cica_documents_service LOGIN PASSWORD :'documents_password';
CREATE ROLE cica_meetings_service LOGIN PASSWORD :'meetings_password';
CREATE ROLE cica_notifications_service LOGIN PASSWORD :'notifications_password';

-- Each service owns one database and never reads another's (see DESIGN.md). The migration
-- role owns them (and so their schema `public`), so that it creates the tables and grants on
-- them; `cica migrate` takes CONNECT away from PUBLIC and gives it to the service's role alone.
CREATE DATABASE cica_registry OWNER cica_migration;
CREATE DATABASE cica_documents OWNER cica_migration;
CREATE DATABASE cica_meetings OWNER cica_migration;
CREATE DATABASE cica_notifications OWNER cica_migration;

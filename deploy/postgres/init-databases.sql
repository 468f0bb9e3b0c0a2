-- Run once by the postgres image, when its data volume is first initialised.
-- Each service owns one database and never reads another's (see DESIGN.md).
-- `cica migrate` creates any that are missing too, and applies the migrations.
CREATE DATABASE cica_registry;
CREATE DATABASE cica_documents;
CREATE DATABASE cica_meetings;
CREATE DATABASE cica_notifications;

-- A catalogue at schema version 1 (blkpoint 0.1), as 'sqlite3 DB .dump'
-- printed it, plus the user_version line .dump leaves out.  The schema
-- was created by migration 1 itself (test-store checks they still agree);
-- the rows are a small hand-made catalogue.  Do not edit: migration tests
-- must start from what version 1 really wrote.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE domains (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
  definition TEXT NOT NULL,
  runtime TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'shutoff' CHECK (state IN ('shutoff', 'running')),
  pid INTEGER NOT NULL DEFAULT 0 CHECK (pid >= 0),
  monitor_path TEXT
);
INSERT INTO domains VALUES(1,'c7a5fdbd-cdaf-9455-926a-d65c16db1809','vm1','<domain><name>vm1</name><uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid><devices><disk type=''file'' device=''disk''><driver type=''qcow2''/><source file=''/var/lib/images/vm1-a.qcow2''/><target dev=''vda''/></disk><disk type=''file'' device=''disk''><driver type=''qcow2''/><source file=''/var/lib/images/vm1-b.qcow2''/><target dev=''vdb''/></disk></devices></domain>','storage','running',4242,'/run/blkpoint/vm1/qmp.sock');
INSERT INTO domains VALUES(2,'4dea22b3-1d52-d8f3-2516-782e98ab3fa0','vm2','<domain><name>vm2</name><uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid><devices><disk type=''file'' device=''disk''><driver type=''qcow2''/><source file=''/var/lib/images/vm2.qcow2''/><target dev=''vda''/></disk></devices></domain>','offline','shutoff',0,NULL);
CREATE TABLE checkpoints (
  id INTEGER PRIMARY KEY,
  domain_id INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
  name TEXT NOT NULL CHECK (length(name) > 0),
  parent_id INTEGER CHECK (parent_id IS NULL OR parent_id <> id),
  creation_time INTEGER NOT NULL,
  description TEXT,
  domain_xml TEXT,
  is_current INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1)),
  state TEXT NOT NULL CHECK (state IN ('pending', 'ready', 'broken', 'deleting')),
  reason TEXT,
  UNIQUE (domain_id, name),
  UNIQUE (domain_id, id),
  FOREIGN KEY (domain_id, parent_id) REFERENCES checkpoints (domain_id, id)
);
INSERT INTO checkpoints VALUES(1,1,'c1',NULL,1700000000,'first','<domain><name>vm1</name></domain>',0,'ready',NULL);
INSERT INTO checkpoints VALUES(2,1,'c2',1,1700086400,NULL,'<domain><name>vm1</name></domain>',0,'ready',NULL);
INSERT INTO checkpoints VALUES(3,1,'c3',2,1700172800,NULL,'<domain><name>vm1</name></domain>',1,'ready',NULL);
INSERT INTO checkpoints VALUES(4,1,'c4',2,1700100000,'branch',NULL,0,'broken','bitmap ''c4'' missing in vda');
INSERT INTO checkpoints VALUES(5,2,'x1',NULL,1700000500,NULL,'<domain><name>vm2</name></domain>',1,'pending',NULL);
CREATE TABLE checkpoint_disks (
  checkpoint_id INTEGER NOT NULL REFERENCES checkpoints (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  target TEXT NOT NULL,
  included INTEGER NOT NULL CHECK (included IN (0, 1)),
  bitmap TEXT,
  granularity INTEGER NOT NULL DEFAULT 0 CHECK (granularity >= 0),
  size INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
  PRIMARY KEY (checkpoint_id, target),
  CHECK (included = 0 OR bitmap IS NOT NULL)
) WITHOUT ROWID;
INSERT INTO checkpoint_disks VALUES(1,0,'vda',1,'c1',65536,10737418240);
INSERT INTO checkpoint_disks VALUES(1,1,'vdb',0,NULL,0,0);
INSERT INTO checkpoint_disks VALUES(2,0,'vda',1,'c2',65536,10737418240);
INSERT INTO checkpoint_disks VALUES(2,1,'vdb',1,'c2',131072,2147483648);
INSERT INTO checkpoint_disks VALUES(3,0,'vda',1,'c3',65536,10737418240);
INSERT INTO checkpoint_disks VALUES(3,1,'vdb',1,'c3',131072,2147483648);
INSERT INTO checkpoint_disks VALUES(4,0,'vda',1,'c4',65536,10737418240);
INSERT INTO checkpoint_disks VALUES(5,0,'vda',1,'x1',65536,1073741824);
CREATE TABLE backups (
  id INTEGER PRIMARY KEY,
  domain_id INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
  mode TEXT NOT NULL CHECK (mode IN ('push', 'pull')),
  kind TEXT NOT NULL CHECK (kind IN ('full', 'incremental')),
  from_checkpoint TEXT,
  checkpoint TEXT,
  status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
  error TEXT,
  bytes INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),
  start_time INTEGER NOT NULL,
  end_time INTEGER NOT NULL DEFAULT 0,
  previous_id INTEGER CHECK (previous_id IS NULL OR previous_id <> id),
  UNIQUE (domain_id, id),
  FOREIGN KEY (domain_id, previous_id) REFERENCES backups (domain_id, id),
  CHECK (kind = 'full' OR from_checkpoint IS NOT NULL)
);
INSERT INTO backups VALUES(1,1,'push','full',NULL,'c1','completed',NULL,5368709120,1700000000,1700000300,NULL);
INSERT INTO backups VALUES(2,1,'push','incremental','c1','c2','completed',NULL,104857600,1700086400,1700086460,1);
INSERT INTO backups VALUES(3,1,'pull','incremental','c2','c3','running',NULL,0,1700172800,0,2);
INSERT INTO backups VALUES(4,2,'push','full',NULL,NULL,'failed','target /backup/vm2.qcow2: No space left on device',42,1700000600,1700000700,NULL);
CREATE TABLE backup_disks (
  backup_id INTEGER NOT NULL REFERENCES backups (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  target TEXT NOT NULL,
  path TEXT,
  format TEXT,
  bytes INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),
  PRIMARY KEY (backup_id, target)
) WITHOUT ROWID;
INSERT INTO backup_disks VALUES(1,0,'vda','/backup/vm1/full-vda.qcow2','qcow2',5000000000);
INSERT INTO backup_disks VALUES(1,1,'vdb','/backup/vm1/full-vdb.qcow2','qcow2',368709120);
INSERT INTO backup_disks VALUES(2,0,'vda','/backup/vm1/inc1-vda.qcow2','qcow2',104857600);
INSERT INTO backup_disks VALUES(3,0,'vda','/var/tmp/blkpoint/scratch-vda.qcow2','qcow2',0);
INSERT INTO backup_disks VALUES(4,0,'vda','/backup/vm2.qcow2','qcow2',42);
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  domain_id INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'cancelling', 'completed', 'failed', 'cancelled')),
  phase TEXT,
  backup_id INTEGER REFERENCES backups (id) ON DELETE SET NULL,
  checkpoint TEXT,
  data TEXT,
  start_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL
);
INSERT INTO jobs VALUES(1,1,'backup','running','exporting',3,'c3','{"scratch":["/var/tmp/blkpoint/scratch-vda.qcow2"]}',1700172800,1700172805);
INSERT INTO jobs VALUES(2,2,'backup','failed','copying',4,NULL,NULL,1700000600,1700000700);
CREATE INDEX checkpoints_parent ON checkpoints (domain_id, parent_id);
CREATE UNIQUE INDEX checkpoints_current ON checkpoints (domain_id) WHERE is_current;
CREATE TRIGGER checkpoints_no_cycle BEFORE UPDATE OF parent_id ON checkpoints
  WHEN NEW.parent_id IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'checkpoint would become its own ancestor')
  WHERE NEW.id IN (
    WITH RECURSIVE up(id) AS (
      SELECT NEW.parent_id
      UNION
      SELECT c.parent_id FROM checkpoints c JOIN up ON c.id = up.id
      WHERE c.parent_id IS NOT NULL)
    SELECT id FROM up);
END;
CREATE INDEX backups_previous ON backups (domain_id, previous_id);
CREATE INDEX jobs_domain ON jobs (domain_id);
CREATE INDEX jobs_backup ON jobs (backup_id);
PRAGMA user_version = 1;
COMMIT;

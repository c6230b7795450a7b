-- Written on every lease and never read: the deployment's Durable Object keeps the lease itself
-- (the runner's last word plus the lease time) and queues the job again when it runs out.
ALTER TABLE `jobs` DROP COLUMN `lease_expires_at`;
CREATE TABLE `session_sockets` (
	`session_id` text NOT NULL,
	`deployment_id` text NOT NULL,
	PRIMARY KEY(`session_id`, `deployment_id`),
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `sessions` ADD `last_seen_at` integer;
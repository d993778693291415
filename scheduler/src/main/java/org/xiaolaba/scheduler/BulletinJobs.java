package org.xiaolaba.scheduler;

import java.text.ParseException;
import java.time.ZoneId;
import java.util.Properties;
import java.util.TimeZone;
import org.quartz.CronExpression;
import org.quartz.CronScheduleBuilder;
import org.quartz.JobBuilder;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.ConfigException;

/**
 * The daily bulletin's two Quartz cron jobs on this node: prepare every area's bulletin, then push
 * it. Every node runs them; the work itself is claimed once per day in Redis.
 */
final class BulletinJobs implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BulletinJobs.class);

  private final Scheduler scheduler;

  private BulletinJobs(Scheduler scheduler) {
    this.scheduler = scheduler;
  }

  static BulletinJobs start(
      String nodeId,
      ZoneId zone,
      String prepareCron,
      String pushCron,
      Runnable prepare,
      Runnable push) {
    validate("scheduler.bulletin.prepareCron", prepareCron);
    validate("scheduler.bulletin.pushCron", pushCron);
    Properties p = new Properties();
    p.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_NAME, "xiaolaba-bulletins-" + nodeId);
    p.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_ID, nodeId);
    p.setProperty(StdSchedulerFactory.PROP_SCHED_JMX_EXPORT, "false");
    p.setProperty(StdSchedulerFactory.PROP_THREAD_POOL_CLASS, "org.quartz.simpl.SimpleThreadPool");
    p.setProperty("org.quartz.threadPool.threadCount", "1");
    p.setProperty("org.quartz.threadPool.threadNamePrefix", "xiaolaba-bulletins-" + nodeId);
    p.setProperty(StdSchedulerFactory.PROP_JOB_STORE_CLASS, "org.quartz.simpl.RAMJobStore");
    try {
      Scheduler s = new StdSchedulerFactory(p).getScheduler();
      s.setJobFactory(
          (bundle, sched) -> {
            Runnable work =
                "prepare".equals(bundle.getJobDetail().getKey().getName()) ? prepare : push;
            return context -> run(bundle.getJobDetail().getKey().getName(), work);
          });
      schedule(s, "prepare", prepareCron, zone);
      schedule(s, "push", pushCron, zone);
      s.start();
      log.info(
          "Daily bulletins: prepared at '{}', pushed at '{}' ({})", prepareCron, pushCron, zone);
      return new BulletinJobs(s);
    } catch (SchedulerException e) {
      throw new IllegalStateException("cannot start the bulletin jobs: " + e.getMessage(), e);
    }
  }

  /** A job never throws into Quartz: a failed day is logged and the next day runs. */
  private static void run(String name, Runnable work) {
    try {
      work.run();
    } catch (RuntimeException e) {
      log.error("The daily bulletin {} job failed; it runs again at its next time", name, e);
    }
  }

  private static void schedule(Scheduler s, String name, String cron, ZoneId zone)
      throws SchedulerException {
    s.scheduleJob(
        JobBuilder.newJob(org.quartz.Job.class).withIdentity(name, "bulletins").build(),
        TriggerBuilder.newTrigger()
            .withIdentity(name, "bulletins")
            .withSchedule(
                CronScheduleBuilder.cronSchedule(cron)
                    .inTimeZone(TimeZone.getTimeZone(zone))
                    .withMisfireHandlingInstructionFireAndProceed())
            .build());
  }

  private static void validate(String key, String cron) {
    try {
      new CronExpression(cron);
    } catch (ParseException | RuntimeException e) {
      throw new ConfigException(
          "config key '"
              + key
              + "' has value '"
              + cron
              + "': expected a Quartz cron expression such as"
              + " '0 30 5 * * ?' ("
              + e.getMessage()
              + ")");
    }
  }

  @Override
  public void close() {
    try {
      scheduler.shutdown(true);
    } catch (SchedulerException e) {
      log.warn("The bulletin jobs did not stop cleanly: {}", e.getMessage());
    }
  }
}

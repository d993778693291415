package org.xiaolaba.scheduler;

import java.time.Instant;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDataMap;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.impl.matchers.GroupMatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's in-memory Quartz: one durable job per program and at most one pending trigger, for
 * the program's next run. Knows nothing of Redis; {@link ProgramArming} decides what to arm.
 */
final class QuartzTriggers implements ProgramTriggers {
  private static final Logger log = LoggerFactory.getLogger(QuartzTriggers.class);
  private static final String GROUP = "programs";
  private static final String PROGRAM_ID = "programId";
  private static final String RUN_AT = "runAt";

  private final Scheduler scheduler;

  private QuartzTriggers(Scheduler scheduler) {
    this.scheduler = scheduler;
  }

  /** Creates and starts an in-memory scheduler named after the node, with {@code threads}. */
  static QuartzTriggers start(String nodeId, int threads, Firing firing) {
    Properties p = new Properties();
    p.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_NAME, "xiaolaba-programs-" + nodeId);
    p.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_ID, nodeId);
    // Quartz 2.5 has no update check any more; nothing to switch off.
    p.setProperty(StdSchedulerFactory.PROP_SCHED_JMX_EXPORT, "false");
    p.setProperty(StdSchedulerFactory.PROP_THREAD_POOL_CLASS, "org.quartz.simpl.SimpleThreadPool");
    p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(threads));
    p.setProperty("org.quartz.threadPool.threadNamePrefix", "xiaolaba-programs-" + nodeId);
    p.setProperty(StdSchedulerFactory.PROP_JOB_STORE_CLASS, "org.quartz.simpl.RAMJobStore");
    try {
      Scheduler s = new StdSchedulerFactory(p).getScheduler();
      s.setJobFactory((bundle, sched) -> new FireJob(firing));
      s.start();
      return new QuartzTriggers(s);
    } catch (SchedulerException e) {
      throw new IllegalStateException("cannot start Quartz: " + e.getMessage(), e);
    }
  }

  /** The Quartz job: reads which run it is for and hands it over; never throws. */
  static final class FireJob implements Job {
    private final Firing firing;

    FireJob(Firing firing) {
      this.firing = firing;
    }

    @Override
    public void execute(JobExecutionContext context) {
      JobDataMap data = context.getMergedJobDataMap();
      String programId = data.getString(PROGRAM_ID);
      try {
        firing.fire(programId, Instant.ofEpochMilli(data.getLong(RUN_AT)));
      } catch (Throwable t) {
        log.error("Firing program {} failed unexpectedly", programId, t);
      }
    }
  }

  private static JobKey jobKey(String programId) {
    return JobKey.jobKey(programId, GROUP);
  }

  @Override
  public synchronized boolean arm(String programId, Instant run, Instant fireAt) {
    JobKey job = jobKey(programId);
    TriggerKey key = triggerKey(programId, run);
    try {
      boolean present = false;
      if (scheduler.checkExists(job)) {
        for (Trigger t : scheduler.getTriggersOfJob(job)) {
          if (t.getKey().equals(key)) {
            present = true;
          } else {
            scheduler.unscheduleJob(t.getKey());
          }
        }
      } else {
        scheduler.addJob(jobDetail(job), false);
      }
      if (present) return false;
      scheduler.scheduleJob(trigger(job, programId, run, fireAt));
      return true;
    } catch (SchedulerException e) {
      throw new IllegalStateException(
          "cannot arm program " + programId + " in Quartz: " + e.getMessage(), e);
    }
  }

  /**
   * Programs this Quartz has no job for yet (all of them at a node's start) go in with one {@code
   * scheduleJobs} call: one lock and one wake-up of the scheduler thread instead of four calls
   * each. The others are armed one by one.
   */
  @Override
  public synchronized void armAll(List<Arm> arms) {
    try {
      Set<JobKey> existing = scheduler.getJobKeys(GroupMatcher.jobGroupEquals(GROUP));
      // Building 100,000 jobs and triggers takes as long as storing them: on every core.
      Map<JobDetail, Set<? extends Trigger>> fresh =
          arms.parallelStream()
              .filter(a -> !existing.contains(jobKey(a.programId())))
              .collect(
                  Collectors.toMap(
                      a -> jobDetail(jobKey(a.programId())),
                      a ->
                          Set.of(
                              trigger(jobKey(a.programId()), a.programId(), a.run(), a.fireAt())),
                      (x, y) -> y));
      for (Arm a : arms) {
        if (existing.contains(jobKey(a.programId()))) arm(a.programId(), a.run(), a.fireAt());
      }
      if (!fresh.isEmpty()) scheduler.scheduleJobs(fresh, false);
    } catch (SchedulerException e) {
      throw new IllegalStateException(
          "cannot arm " + arms.size() + " programs in Quartz: " + e.getMessage(), e);
    }
  }

  private static JobDetail jobDetail(JobKey job) {
    return JobBuilder.newJob(FireJob.class).withIdentity(job).storeDurably().build();
  }

  private static TriggerKey triggerKey(String programId, Instant run) {
    return TriggerKey.triggerKey(programId + "@" + run.toEpochMilli(), GROUP);
  }

  private static Trigger trigger(JobKey job, String programId, Instant run, Instant fireAt) {
    return TriggerBuilder.newTrigger()
        .withIdentity(triggerKey(programId, run))
        .forJob(job)
        .usingJobData(PROGRAM_ID, programId)
        .usingJobData(RUN_AT, run.toEpochMilli())
        .startAt(Date.from(fireAt))
        .withSchedule(
            SimpleScheduleBuilder.simpleSchedule().withMisfireHandlingInstructionFireNow())
        .build();
  }

  @Override
  public synchronized boolean unarm(String programId) {
    try {
      return scheduler.deleteJob(jobKey(programId));
    } catch (SchedulerException e) {
      throw new IllegalStateException(
          "cannot unarm program " + programId + " in Quartz: " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<Instant> armedRun(String programId) {
    try {
      List<? extends Trigger> triggers = scheduler.getTriggersOfJob(jobKey(programId));
      return triggers.stream()
          .filter(t -> t.getNextFireTime() != null)
          .map(t -> Instant.ofEpochMilli(t.getJobDataMap().getLong(RUN_AT)))
          .findFirst();
    } catch (SchedulerException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public Set<String> programIds() {
    try {
      Set<String> ids = new HashSet<>();
      for (JobKey k : scheduler.getJobKeys(GroupMatcher.jobGroupEquals(GROUP)))
        ids.add(k.getName());
      return ids;
    } catch (SchedulerException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean running() {
    try {
      return scheduler.isStarted() && !scheduler.isShutdown() && !scheduler.isInStandbyMode();
    } catch (SchedulerException e) {
      return false;
    }
  }

  @Override
  public void shutdown() {
    try {
      scheduler.shutdown(true);
    } catch (SchedulerException e) {
      log.warn("Stopping Quartz: {}", e.getMessage());
    }
  }
}

"""The worker's side of a delivery: one module per task kind (or per family of kinds that
share one flow), each run after the one admission check (`bot.flows.admission`).

`bot.flows.flow_table` maps every kind to its flow; the queue's runner calls the handler
registered there with the task's context.
"""
